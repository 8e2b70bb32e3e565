-- The agent-facing views carry no personal data columns.
-- expect: rows = 0
select table_name, column_name
from information_schema.columns
where table_schema = 'mcp'
  and column_name in ('email', 'phone', 'full_name', 'body', 'note', 'token', 'avatar_url')
