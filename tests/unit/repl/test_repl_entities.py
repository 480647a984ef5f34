"""Every entity type of the client has a renderer; those the local server cannot produce yet."""

from __future__ import annotations

import inspect

import ksqlpy
from ksqlpy import (
    AssertTopicResult,
    ConnectorList,
    ConnectorSummary,
    DroppedConnector,
    Entity,
    QueryDescriptionList,
    TerminateQueryResult,
    UnknownEntity,
)
from ksqlpy.repl.render.entities import RENDERERS, render_entity


def test_every_entity_type_has_a_renderer() -> None:
    entity_types = {
        obj
        for name in ksqlpy.__all__
        if inspect.isclass(obj := getattr(ksqlpy, name))
        and issubclass(obj, Entity)
        and obj is not Entity
    }
    assert entity_types - set(RENDERERS) == set()


def test_terminate_connectors_asserts_and_unknown() -> None:
    done = TerminateQueryResult(
        type="terminate_query", query_id="transient_X_1", was_terminated=True
    )
    assert "Query transient_X_1 terminated." in render_entity(done)
    connectors = ConnectorList(
        type="connector_list",
        connectors=(ConnectorSummary("jdbc", "SOURCE", "io.confluent.Jdbc", "RUNNING"),),
    )
    row = render_entity(connectors).splitlines()[2]
    assert [c.strip() for c in row.split("|")] == ["jdbc", "SOURCE", "io.confluent.Jdbc", "RUNNING"]
    assert 'Dropped connector "jdbc"' in render_entity(
        DroppedConnector(type="drop_connector", connector_name="jdbc")
    )
    assert "Topic t exists" in render_entity(
        AssertTopicResult(type="assert_topic", topic_name="t", exists=True)
    )
    assert render_entity(QueryDescriptionList(type="query_descriptions")) == ""
    unknown = UnknownEntity(type="new_thing", raw={"@type": "new_thing", "x": 1})
    assert '"x": 1' in render_entity(unknown)


def test_warnings_follow_the_entity() -> None:
    entity = DroppedConnector(type="drop_connector", connector_name="c", warnings=("careful",))
    assert render_entity(entity).endswith("\nWARNING: careful")
