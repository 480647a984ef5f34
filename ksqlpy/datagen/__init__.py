"""Produce realistic fake data to Kafka topics or ksqlDB streams."""
