"""The typed-record base of pggate's configuration (config/record.py): each rule both ways."""

from __future__ import annotations

from typing import Any, Literal

import pytest

from pggate.config import Problem, Record, RecordError, bounded, validates


class Inner(Record):
    name: str = "x"
    size: int = 1


class Sample(Record):
    text: str = "a"
    count: int = bounded(3, ge=0, le=10)
    ratio: float = bounded(0.5, ge=0)
    flag: bool = False
    maybe: str | None = None
    names: list[str] = []
    labels: dict[str, str] = {}
    inner: Inner = Inner()
    inners: list[Inner] = []
    by_name: dict[str, Inner] = {}
    tables: dict[str, dict[str, Any]] = {}
    level: Literal["error", "warning"] = "error"
    some: list[str] | str = []

    @validates("text", "maybe")
    def _no_spaces(value: str | None) -> str | None:
        if value is not None and " " in value:
            raise ValueError("must not contain spaces")
        return value

    @validates("names")
    def _lower(value: list[str]) -> list[str]:
        return [n.lower() for n in value]


def problems(data: dict[str, Any], model: type[Record] = Sample) -> list[tuple[Any, str, str]]:
    with pytest.raises(RecordError) as err:
        model.model_validate(data)
    return [(p.loc, p.message, p.kind) for p in err.value.problems]


def test_defaults_when_nothing_is_given():
    s = Sample.model_validate({})
    assert (s.text, s.count, s.ratio, s.flag) == ("a", 3, 0.5, False)
    assert s.maybe is None and s.level == "error"
    assert s.inner == Inner() and s.names == [] and s.some == []
    assert s.model_fields_set == frozenset()


@pytest.mark.parametrize(
    ("key", "good", "bad", "message"),
    [
        ("text", "b", 5, "Input should be a valid string"),
        ("count", 4, True, "Input should be a valid integer"),
        ("count", 4, 4.0, "Input should be a valid integer"),
        ("count", 4, "4", "Input should be a valid integer"),
        ("ratio", 1.5, True, "Input should be a valid number"),
        ("ratio", 1.5, "1.5", "Input should be a valid number"),
        ("flag", True, 1, "Input should be a valid boolean"),
        ("flag", True, "true", "Input should be a valid boolean"),
        ("maybe", "s", 1, "Input should be a valid string"),
        ("names", ["a"], "a", "Input should be a valid list"),
        ("labels", {"a": "b"}, ["a"], "Input should be a valid dictionary"),
        ("inner", {"name": "y"}, "y", "Input should be a valid dictionary or instance of Inner"),
        ("inners", [{"size": 2}], {"size": 2}, "Input should be a valid list"),
        ("by_name", {"k": {}}, [{}], "Input should be a valid dictionary"),
        ("tables", {"perf": {"x": 1}}, {"perf": 1}, "Input should be a valid dictionary"),
        ("level", "warning", "fatal", "Input should be 'error' or 'warning'"),
        ("some", "all", 3, "Input should be a valid list or a valid string"),
    ],
)
def test_each_type_takes_its_values_and_refuses_others(key, good, bad, message):
    assert Sample.model_validate({key: good}).model_fields_set == {key}
    [(loc, got, kind)] = problems({key: bad})
    assert got == message and kind == "type"
    assert loc[0] == key


def test_values_keep_their_types():
    s = Sample.model_validate(
        {
            "ratio": 2,
            "maybe": None,
            "inner": {"name": "y"},
            "inners": [{"size": 2}],
            "by_name": {"k": {"size": 5}},
            "some": ["a"],
        }
    )
    assert s.ratio == 2.0 and type(s.ratio) is float  # an integer is a number
    assert s.maybe is None
    assert s.inner == Inner(name="y") and s.inner.model_fields_set == {"name"}
    assert s.inners == [Inner(size=2)] and s.by_name["k"].size == 5
    assert s.some == ["a"]


def test_problems_inside_a_value_name_their_place():
    found = problems({"names": ["a", 2], "inners": [{}, {"size": "2"}], "by_name": {"k": {"x": 1}}})
    assert found == [
        (("names", 1), "Input should be a valid string", "type"),
        (("inners", 1, "size"), "Input should be a valid integer", "type"),
        (("by_name", "k", "x"), "Extra inputs are not permitted", "unknown"),
    ]
    # a union names the bad item of the member the value is shaped like
    assert problems({"some": ["a", 1]}) == [(("some", 1), "Input should be a valid string", "type")]


def test_unknown_keys_are_refused():
    assert Sample.model_validate({"text": "b"}).text == "b"
    assert problems({"txet": "b"}) == [(("txet",), "Extra inputs are not permitted", "unknown")]
    with pytest.raises(RecordError):
        Sample(txet="b")


@pytest.mark.parametrize(
    ("key", "inside", "outside", "message"),
    [
        ("count", 0, -1, "Input should be greater than or equal to 0"),
        ("count", 10, 11, "Input should be less than or equal to 10"),
        ("ratio", 0, -0.1, "Input should be greater than or equal to 0"),
    ],
)
def test_bounds_are_inclusive(key, inside, outside, message):
    assert getattr(Sample.model_validate({key: inside}), key) == inside
    assert problems({key: outside}) == [((key,), message, "bound")]


def test_a_validator_keeps_its_result_and_its_error_names_the_key():
    assert Sample.model_validate({"names": ["A", "b"]}).names == ["a", "b"]
    refused = "Value error, must not contain spaces"
    assert problems({"text": "a b"}) == [(("text",), refused, "value")]
    assert problems({"maybe": "c d"}) == [(("maybe",), refused, "value")]
    assert Sample.model_validate({"maybe": None}).maybe is None


def test_a_validator_does_not_run_on_a_value_of_the_wrong_type():
    assert problems({"text": 5}) == [(("text",), "Input should be a valid string", "type")]


def test_a_validator_of_a_nested_record_names_the_whole_path():
    class Outer(Record):
        samples: dict[str, Sample] = {}

    assert problems({"samples": {"one": {"text": "a b"}}}, Outer) == [
        (("samples", "one", "text"), "Value error, must not contain spaces", "value")
    ]


def test_every_problem_of_a_document_is_reported():
    found = problems(
        {"text": 1, "count": 99, "flag": "no", "extra": 1, "inner": {"size": True, "other": 2}}
    )
    assert [(loc, kind) for loc, _, kind in found] == [
        (("text",), "type"),
        (("count",), "bound"),
        (("flag",), "type"),
        (("inner", "size"), "type"),
        (("inner", "other"), "unknown"),
        (("extra",), "unknown"),
    ]
    with pytest.raises(RecordError) as err:
        Sample.model_validate({"text": 1, "extra": 1})
    assert str(err.value) == (
        "Sample: text: Input should be a valid string; extra: Extra inputs are not permitted"
    )


def test_a_document_that_is_not_a_table():
    assert problems(5) == [((), "Input should be a valid dictionary or instance of Sample", "type")]  # type: ignore[arg-type]


def test_mutable_defaults_are_not_shared():
    one, two = Sample(), Sample.model_validate({})
    one.names.append("x")
    one.labels["k"] = "v"
    one.inner.__dict__["name"] = "changed"  # even a record default is a copy of its own
    assert two.names == [] and two.labels == {} and two.inner.name == "x"
    assert Sample().names == [] and Sample().inner.name == "x"


def test_records_are_frozen():
    s = Sample()
    with pytest.raises(AttributeError, match="frozen"):
        s.text = "b"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="frozen"):
        del s.text
    assert s.text == "a"


def test_keys_given_are_recorded_whether_or_not_they_equal_the_default():
    s = Sample.model_validate({"text": "a", "count": 5})
    assert s.model_fields_set == {"text", "count"}
    assert Sample(flag=False).model_fields_set == {"flag"}


def test_keyword_construction_validates_like_a_document():
    assert Sample(count=4, names=["A"]).names == ["a"]
    with pytest.raises(RecordError) as err:
        Sample(count="4")
    assert err.value.problems == [Problem(("count",), "Input should be a valid integer", "type")]
    with pytest.raises(TypeError):
        Sample({"count": 4})  # type: ignore[misc]


def test_field_listing_equality_and_repr():
    assert list(Inner.model_fields) == ["name", "size"]
    assert Sample.model_fields["count"].ge == 0 and Sample.model_fields["count"].le == 10
    assert Inner(name="a") == Inner.model_validate({"name": "a"}) != Inner(name="b")
    assert hash(Inner()) == hash(Inner())
    assert repr(Inner()) == "Inner(name='x', size=1)"
    assert Inner.model_validate(Inner(size=4)).size == 4


def test_a_field_without_a_default_is_required():
    class Needs(Record):
        name: str

    assert Needs(name="a").name == "a"
    assert problems({}, Needs) == [(("name",), "Field required", "missing")]


def test_subclasses_inherit_fields_and_validators():
    class More(Sample):
        extra: int = 0

    assert list(More.model_fields)[-1] == "extra"
    assert More(extra=1, names=["B"]).names == ["b"]
    assert problems({"text": "a b"}, More)[0][2] == "value"


def test_a_validator_naming_no_field_is_a_mistake_in_the_class():
    with pytest.raises(TypeError, match="no field"):

        class Wrong(Record):
            name: str = ""

            @validates("nmae")
            def _check(value: str) -> str:
                return value


def test_an_unsupported_type_is_a_mistake_in_the_class():
    class Odd(Record):
        when: set[str] = set()

    with pytest.raises(TypeError, match="do not support"):
        Odd.model_validate({})


def test_bounds_on_a_field_that_is_no_number_are_a_mistake_in_the_class():
    class Odd(Record):
        name: str = bounded("x", ge=1)

    with pytest.raises(TypeError, match="bounds apply to int and float"):
        Odd.model_validate({})


def test_bounds_hold_for_an_optional_number():
    class Maybe(Record):
        size: int | None = bounded(None, ge=1)

    assert Maybe(size=None).size is None and Maybe(size=1).size == 1
    assert problems({"size": 0}, Maybe) == [
        (("size",), "Input should be greater than or equal to 1", "bound")
    ]
