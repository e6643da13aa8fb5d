"""Where the tests find third-party data: ../shared beside the checkout,
or the file an environment variable names; a test that needs an absent
file skips and says where to get it."""

from __future__ import annotations

import pytest

from tests.thirdparty import CLAB_SCHEMA, REPO, ThirdParty, require


def test_the_default_is_shared_beside_the_checkout(monkeypatch):
    monkeypatch.delenv("FABRIC_CLAB_SCHEMA", raising=False)
    assert CLAB_SCHEMA.path() == REPO.parent / "shared" / "schemas" / "clab.schema.json"


def test_the_variable_overrides_it(monkeypatch, tmp_path):
    schema = tmp_path / "clab.schema.json"
    schema.write_text("{}")
    monkeypatch.setenv("FABRIC_CLAB_SCHEMA", str(schema))
    assert CLAB_SCHEMA.path() == schema
    assert require(CLAB_SCHEMA) == schema


def test_an_absent_file_skips_saying_where_to_get_it(monkeypatch, tmp_path):
    item = ThirdParty(what="a schema", relative="schemas/x.json", env="FABRIC_TEST_X", source="its project")
    monkeypatch.setenv("FABRIC_TEST_X", str(tmp_path / "nowhere.json"))
    with pytest.raises(pytest.skip.Exception) as skipped:
        require(item)
    reason = str(skipped.value)
    assert "a schema is absent at" in reason and "nowhere.json" in reason
    assert "from its project" in reason and "FABRIC_TEST_X=" in reason
    assert str(REPO.parent / "shared" / "schemas" / "x.json") in reason
