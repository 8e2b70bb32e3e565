-- The task board: open tasks of the member's organization with their project.
-- as: tenant
select t.id, t.title, t.status, t.priority, t.due_date, p.name as project
from public.tasks t
join public.projects p on p.organization_id = t.organization_id and p.id = t.project_id
where t.status <> 'done'
order by t.priority, t.due_date nulls last
limit 50
