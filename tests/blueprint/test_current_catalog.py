"""The blueprint in force is made again when the compliance catalog its SCPs are
generated from changes: another file configured (or the same one edited: the key holds
its mtime). It was cached on the blueprint file alone, so SCPs generated from a catalog
configured for a while stayed in force after it was gone."""

from __future__ import annotations

from tests.compliance.test_refresh import CATALOG
from vending.blueprint.current import current_blueprint


def generated_scps() -> dict[str, str]:
    return {
        name: policy.content
        for name, policy in current_blueprint().policies.items()
        if policy.generated_from
    }


def test_the_generated_scps_follow_the_catalog_in_force(settings, tmp_path):
    bundled = generated_scps()
    assert bundled  # the default blueprint generates its class SCPs from the catalog
    small = tmp_path / "catalog.yaml"
    small.write_text(CATALOG)

    settings.VENDING_COMPLIANCE_CATALOG = str(small)
    from_small = generated_scps()
    assert from_small.keys() == bundled.keys()
    assert from_small != bundled

    settings.VENDING_COMPLIANCE_CATALOG = ""
    assert generated_scps() == bundled
