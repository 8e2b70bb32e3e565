-- The billing page: invoices in one status, newest due date first.
-- as: tenant
-- params: status=sent
select number, total_cents, currency, due_date
from public.invoices
where status = {status}
order by due_date desc nulls last
limit 20
