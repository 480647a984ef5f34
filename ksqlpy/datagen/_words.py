"""Word pools for the fake-data generators (plain tuples: ``random.choice`` on them is fast)."""

from __future__ import annotations

FIRST_NAMES = (
    "Ada", "Alan", "Alice", "Amara", "Andrea", "Anna", "Arjun", "Aya", "Ben", "Bianca",
    "Carlos", "Chen", "Chloe", "Dana", "Daniel", "David", "Diego", "Elena", "Elif", "Emma",
    "Erik", "Fatima", "Felix", "Fiona", "Gabriel", "Grace", "Hana", "Hannah", "Hugo", "Ines",
    "Isaac", "Ivan", "Jack", "James", "Jana", "Javier", "Jin", "Julia", "Kai", "Karim",
    "Kenji", "Laura", "Leila", "Leo", "Liam", "Lina", "Lucas", "Luis", "Maya", "Mei",
    "Mia", "Mohammed", "Nadia", "Nina", "Noah", "Nora", "Olga", "Omar", "Oscar", "Paula",
    "Pedro", "Priya", "Rafael", "Rosa", "Ruth", "Sam", "Sara", "Sofia", "Sven", "Tariq",
    "Tom", "Uma", "Valentina", "Victor", "Wei", "Yara", "Yusuf", "Zoe", "Zanele", "Kofi",
)  # fmt: skip

LAST_NAMES = (
    "Abbott", "Adeyemi", "Alvarez", "Andersen", "Bauer", "Becker", "Bianchi", "Brown", "Chen",
    "Costa", "Cruz", "Dubois", "Duarte", "Eriksson", "Evans", "Fischer", "Garcia", "Gomez",
    "Gonzalez", "Gupta", "Hansen", "Hernandez", "Hoffmann", "Ibrahim", "Ito", "Jansen",
    "Johnson", "Kaur", "Kim", "Kowalski", "Kumar", "Larsen", "Lee", "Lopez", "Martin",
    "Meyer", "Moreau", "Mueller", "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen", "Park",
    "Patel", "Perez", "Petrov", "Ramos", "Rossi", "Santos", "Schmidt", "Silva", "Singh",
    "Smith", "Sousa", "Suzuki", "Tanaka", "Taylor", "Torres", "Wagner", "Walker", "Wang",
    "Weber", "Williams", "Wilson", "Wong", "Yamamoto", "Yilmaz", "Zhang", "Zimmermann",
)  # fmt: skip

JOB_TITLES = (
    "Account Manager", "Accountant", "Architect", "Barista", "Biologist", "Chef",
    "Civil Engineer", "Consultant", "Customer Success Manager", "Data Analyst",
    "Data Engineer", "Data Scientist", "Dentist", "Designer", "DevOps Engineer",
    "Electrician", "Financial Analyst", "Graphic Designer", "HR Manager", "Journalist",
    "Lawyer", "Librarian", "Marketing Manager", "Mechanic", "Nurse", "Office Manager",
    "Pharmacist", "Photographer", "Physician", "Pilot", "Product Manager", "Professor",
    "Project Manager", "QA Engineer", "Recruiter", "Sales Representative", "Scientist",
    "Site Reliability Engineer", "Software Engineer", "Solutions Architect", "Statistician",
    "Support Engineer", "Teacher", "Technical Writer", "UX Researcher", "Veterinarian",
    "Web Developer", "Writer",
)  # fmt: skip

CITIES = (
    ("Amsterdam", "Netherlands"), ("Athens", "Greece"), ("Austin", "United States"),
    ("Bangalore", "India"), ("Barcelona", "Spain"), ("Berlin", "Germany"),
    ("Bogota", "Colombia"), ("Boston", "United States"), ("Cairo", "Egypt"),
    ("Cape Town", "South Africa"), ("Chicago", "United States"), ("Copenhagen", "Denmark"),
    ("Dublin", "Ireland"), ("Helsinki", "Finland"), ("Istanbul", "Turkey"),
    ("Jakarta", "Indonesia"), ("Lagos", "Nigeria"), ("Lima", "Peru"), ("Lisbon", "Portugal"),
    ("London", "United Kingdom"), ("Madrid", "Spain"), ("Melbourne", "Australia"),
    ("Mexico City", "Mexico"), ("Milan", "Italy"), ("Montreal", "Canada"),
    ("Mumbai", "India"), ("Munich", "Germany"), ("Nairobi", "Kenya"),
    ("New York", "United States"), ("Osaka", "Japan"), ("Oslo", "Norway"),
    ("Paris", "France"), ("Prague", "Czechia"), ("San Francisco", "United States"),
    ("Santiago", "Chile"), ("Sao Paulo", "Brazil"), ("Seattle", "United States"),
    ("Seoul", "South Korea"), ("Singapore", "Singapore"), ("Stockholm", "Sweden"),
    ("Sydney", "Australia"), ("Taipei", "Taiwan"), ("Tokyo", "Japan"),
    ("Toronto", "Canada"), ("Vienna", "Austria"), ("Warsaw", "Poland"), ("Zurich", "Switzerland"),
)  # fmt: skip

STATES = (
    "Alabama", "Arizona", "California", "Colorado", "Florida", "Georgia", "Illinois",
    "Massachusetts", "Michigan", "Minnesota", "Nevada", "New York", "Ohio", "Oregon",
    "Pennsylvania", "Texas", "Utah", "Virginia", "Washington", "Wisconsin",
)  # fmt: skip

STREET_NAMES = (
    "Oak", "Maple", "Cedar", "Pine", "Elm", "Lake", "Hill", "Park", "River", "Station",
    "Mill", "Church", "Market", "King", "Queen", "Bridge", "Garden", "Harbor", "Meadow",
)  # fmt: skip

STREET_KINDS = ("Street", "Avenue", "Road", "Lane", "Way", "Boulevard", "Drive", "Court")

COMPANIES = (
    "Acme", "Bluepeak", "Brightwave", "Cobalt Systems", "Crescent Labs", "Driftwood",
    "Evergreen", "Fjord Data", "Granite Works", "Helios", "Ironbark", "Juniper Logistics",
    "Keystone", "Lumen", "Meridian", "Northwind", "Orbital", "Pinecone Analytics",
    "Quartz", "Redwood Retail", "Sierra Foods", "Tidal", "Umbra", "Vertex", "Willow Health",
)  # fmt: skip

EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.test", "inbox.test")

# Neutral filler words for sentences and padding text.
WORDS = (
    "about", "above", "across", "after", "again", "air", "along", "also", "always", "answer",
    "around", "away", "back", "because", "before", "began", "below", "between", "big", "book",
    "both", "bring", "build", "call", "came", "carry", "change", "city", "close", "cloud",
    "come", "could", "country", "cover", "cross", "day", "different", "door", "down", "draw",
    "during", "each", "early", "earth", "east", "every", "eye", "face", "family", "far",
    "field", "find", "fire", "first", "follow", "food", "form", "found", "friend", "front",
    "garden", "give", "good", "great", "green", "ground", "group", "grow", "hand", "hard",
    "head", "hear", "help", "high", "hold", "home", "house", "idea", "important", "island",
    "keep", "kind", "land", "large", "last", "late", "learn", "leave", "letter", "light",
    "line", "list", "little", "live", "long", "look", "made", "make", "many", "map", "mark",
    "mile", "mind", "more", "morning", "mountain", "move", "music", "name", "near", "need",
    "never", "next", "night", "north", "number", "often", "open", "order", "other", "page",
    "paper", "part", "people", "picture", "place", "plant", "play", "point", "question",
    "quick", "read", "real", "river", "road", "rock", "room", "round", "run", "same", "say",
    "school", "sea", "second", "see", "sentence", "set", "show", "side", "simple", "small",
    "song", "sound", "south", "spell", "stand", "star", "start", "state", "still", "stop",
    "story", "study", "sun", "table", "take", "talk", "tell", "thing", "think", "through",
    "time", "together", "took", "tree", "try", "turn", "under", "until", "very", "walk",
    "want", "watch", "water", "way", "well", "west", "while", "white", "whole", "wind",
    "word", "work", "world", "write", "year", "young",
)  # fmt: skip

USER_AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Version/18.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36",
    "curl/8.10.1",
)  # fmt: skip
