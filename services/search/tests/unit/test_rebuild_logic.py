"""The rebuild's pure rules: the next index's name, live actions copied to the new index, progress."""

from __future__ import annotations

from search.adapters.opensearch import next_version
from search.service.indexing import retarget
from search.service.rebuild import progress_ratio


def test_the_next_index_is_one_version_above_the_highest_of_the_alias():
    assert next_version("crm-customers", {}) == 1
    assert next_version("crm-customers", {"crm-customers-v1": {}}) == 2
    names = {
        "crm-customers-v2": {},
        "crm-customers-v10": {},
        "crm-customers-vx": {},
        "other-customers-v99": {},
    }
    assert next_version("crm-customers", names) == 11


def test_live_actions_are_copied_to_the_new_index_with_their_versions_and_documents():
    document = {"id": "a", "name": "index"}
    actions = [
        {"delete": {"_index": "alias", "_id": "b", "version": 3, "version_type": "external"}},
        {"index": {"_index": "alias", "_id": "a", "version": 2, "version_type": "external_gte"}},
        document,
    ]
    assert retarget(actions, "alias-v2") == [
        {"delete": {"_index": "alias-v2", "_id": "b", "version": 3, "version_type": "external"}},
        {"index": {"_index": "alias-v2", "_id": "a", "version": 2, "version_type": "external_gte"}},
        document,
    ]
    assert actions[0]["delete"]["_index"] == "alias"


def test_progress_stays_below_one_until_the_rebuild_is_done():
    assert progress_ratio(0, 0, done=False) == 0.0
    assert progress_ratio(50, 100, done=False) == 0.5
    assert progress_ratio(120, 100, done=False) == 0.99
    assert progress_ratio(7, 100, done=True) == 1.0
