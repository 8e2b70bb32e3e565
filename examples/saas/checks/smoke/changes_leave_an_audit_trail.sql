-- Updating a task writes an audit row with the old and new data.
-- expect: rows > 0
update public.tasks set status = 'done' where status <> 'done';
select id from private.audit_log
where table_name = 'public.tasks' and action = 'update'
  and old_data ->> 'status' <> new_data ->> 'status'
