import pytest

from pggate.masking import mask, mask_data, register_secret, register_url

PLANTED = "Pl4nted-s3cret!"


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("postgresql://app:hunter2xx@db.example.com:5432/app", "hunter2xx"),
        ("postgres://app:p%40ss%3Aword@h/db?sslmode=require", "p%40ss%3Aword"),
        ("host=h user=u password=letmein99 dbname=d", "letmein99"),
        ("host=h password='with space' dbname=d", "with space"),
        ("SUPABASE_SERVICE_ROLE_KEY=abc123def456", "abc123def456"),
        ("JWT_SECRET: 'super-secret-jwt'", "super-secret-jwt"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlX2hlcmU", "eyJzdWIiOiIxMjMifQ"),
    ],
)
def test_patterns_are_masked(text, hidden):
    assert hidden not in mask(text)
    assert "****" in mask(text)


def test_registered_secret_is_masked_anywhere_in_any_encoding():
    register_secret(PLANTED)
    assert PLANTED not in mask(f"FATAL: password {PLANTED} rejected")
    assert "Pl4nted-s3cret%21" not in mask("encoded Pl4nted-s3cret%21 too")


def test_url_password_registered():
    register_url("postgresql://u:Zq9%23secret@h/db")
    assert "Zq9#secret" not in mask("decoded Zq9#secret in a message")


def test_innocent_text_survives():
    text = "FK002 public.tasks(project_id): 3 orphans, sample_keys: (1), (2); primary_key id"
    assert mask(text) == text
    assert (
        mask("postgresql://postgres@/postgres?host=/tmp/x")
        == "postgresql://postgres@/postgres?host=/tmp/x"
    )


def test_mask_data_masks_nested_strings_and_secret_keys():
    register_secret(PLANTED)
    data = {
        "target": f"postgresql://u:{PLANTED}@h/db",
        "password": "x1",
        "list": [PLANTED],
        "sample_keys": [[1]],
    }
    masked = mask_data(data)
    assert PLANTED not in str(masked)
    assert masked["password"] == "****"
    assert masked["sample_keys"] == [[1]]


def test_names_are_not_secrets():
    # a table called api_keys, its probe results, and a column named token in a summary
    data = {
        "tables": {"public.api_keys": {"read": "refused", "probes": [{"rows": 1}]}},
        "api_keys": {"status": "proven"},
        "object": "public.user_tokens",
        "columns": ["token", "password_hash"],
    }
    assert mask_data(data) == data
    assert mask_data({"api_key": "abc123"}) == {"api_key": "****"}
