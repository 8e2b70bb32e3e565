-- An admin's audit view: the latest changes of one organization.
-- params: org=00000000-0000-0000-0000-00000000000a
select table_name, action, actor, at
from private.audit_log
where organization_id = {org}::uuid
order by at desc
limit 50
