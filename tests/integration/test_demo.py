"""pggate demo on the bundled example: what `make demo` runs."""


def test_demo_applies_the_example_on_a_throwaway_server(cli):
    result = cli("demo", "--format", "json")
    assert result.exit_code == 0, result.output
    data = result.json()
    assert data["validate"]["status"] in ("pass", "warn")
    applied = [m["version"] for m in data["migrate"]["applied"]]
    assert applied and applied == sorted(applied)
    assert data["status"]["pending"] == []
