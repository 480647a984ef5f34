"""Package discovery for the folder mapping in pyproject.toml.

``repl/``, ``migrations/`` and ``local/`` install as ``ksqlpy.repl``, ``ksqlpy.migrations`` and
``ksqlpy.local``; setuptools' ``packages.find`` cannot rename folders, so their sub-packages are
found here and named under ``ksqlpy``. Everything else lives in pyproject.toml.
"""

from setuptools import find_packages, setup

MAPPED = ("repl", "migrations", "local")

packages = find_packages(include=["ksqlpy", "ksqlpy.*"])
for folder in MAPPED:
    packages.append(f"ksqlpy.{folder}")
    packages += [f"ksqlpy.{folder}.{sub}" for sub in find_packages(folder)]

setup(packages=packages)
