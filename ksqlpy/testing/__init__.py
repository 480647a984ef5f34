"""Test helpers for projects using ksqlDB and Kafka: a real local Kafka broker and pytest fixtures.

Installing ksqlpy registers :mod:`ksqlpy.testing.plugin` with pytest, which provides the
``kafka_bootstrap`` fixture (a real single-node Kafka started on loopback, or the broker named by
``KAFKA_BOOTSTRAP_SERVERS``) and the ``kafka``/``ksqldb``/``slow`` markers.
"""
