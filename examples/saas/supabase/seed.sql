-- Two organizations with members and rows in every tenant table: local development data
-- (`supabase db reset` runs it after the migrations), and what pggate's isolation proof and
-- smoke checks run inside their rolled-back transaction when the tables are empty.
--
--   Acme   (…0a): alice (owner), bob (member)
--   Globex (…0b): carol (owner), dave (viewer)

insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data,
                        email_confirmed_at, created_at, updated_at)
values
    ('00000000-0000-0000-0000-000000000000', '00000000-0000-0000-0000-0000000000a1', 'authenticated',
     'authenticated', 'alice@acme.test', '{"provider": "email"}', '{"full_name": "Alice Archer"}',
     now(), now(), now()),
    ('00000000-0000-0000-0000-000000000000', '00000000-0000-0000-0000-0000000000a2', 'authenticated',
     'authenticated', 'bob@acme.test', '{"provider": "email"}', '{"full_name": "Bob Baker"}',
     now(), now(), now()),
    ('00000000-0000-0000-0000-000000000000', '00000000-0000-0000-0000-0000000000b1', 'authenticated',
     'authenticated', 'carol@globex.test', '{"provider": "email"}', '{"full_name": "Carol Chen"}',
     now(), now(), now()),
    ('00000000-0000-0000-0000-000000000000', '00000000-0000-0000-0000-0000000000b2', 'authenticated',
     'authenticated', 'dave@globex.test', '{"provider": "email"}', '{"full_name": "Dave Diaz"}',
     now(), now(), now());
-- (public.profiles rows come from the on_auth_user_created trigger.)

insert into public.organizations (id, name, slug, plan, created_by) values
    ('00000000-0000-0000-0000-00000000000a', 'Acme', 'acme', 'pro', '00000000-0000-0000-0000-0000000000a1'),
    ('00000000-0000-0000-0000-00000000000b', 'Globex', 'globex', 'free', '00000000-0000-0000-0000-0000000000b1');

insert into public.memberships (organization_id, user_id, role, created_by) values
    ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000000a1', 'owner', '00000000-0000-0000-0000-0000000000a1'),
    ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000000a2', 'member', '00000000-0000-0000-0000-0000000000a1'),
    ('00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-0000000000b1', 'owner', '00000000-0000-0000-0000-0000000000b1'),
    ('00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-0000000000b2', 'viewer', '00000000-0000-0000-0000-0000000000b1');

insert into public.teams (id, organization_id, name) values
    ('00000000-0000-0000-0000-0000000a0701', '00000000-0000-0000-0000-00000000000a', 'Platform'),
    ('00000000-0000-0000-0000-0000000b0701', '00000000-0000-0000-0000-00000000000b', 'Research');

insert into public.team_members (organization_id, team_id, user_id, is_lead) values
    ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000a0701', '00000000-0000-0000-0000-0000000000a1', true),
    ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000a0701', '00000000-0000-0000-0000-0000000000a2', false),
    ('00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-0000000b0701', '00000000-0000-0000-0000-0000000000b1', true);

insert into public.invitations (organization_id, email, role, token) values
    ('00000000-0000-0000-0000-00000000000a', 'erin@acme.test', 'member', 'seed-invitation-acme-erin'),
    ('00000000-0000-0000-0000-00000000000b', 'frank@globex.test', 'admin', 'seed-invitation-globex-frank');

insert into public.projects (id, organization_id, name, status) values
    ('00000000-0000-0000-0000-0000000a0101', '00000000-0000-0000-0000-00000000000a', 'Acme launch', 'active'),
    ('00000000-0000-0000-0000-0000000a0102', '00000000-0000-0000-0000-00000000000a', 'Acme ops', 'paused'),
    ('00000000-0000-0000-0000-0000000b0101', '00000000-0000-0000-0000-00000000000b', 'Globex roadmap', 'active');

insert into public.tasks (id, organization_id, project_id, title, status, priority, assignee_id, due_date) values
    ('00000000-0000-0000-0000-0000000a0201', '00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000a0101',
     'Write the launch post', 'in_progress', 1, '00000000-0000-0000-0000-0000000000a2', date '2024-03-01'),
    ('00000000-0000-0000-0000-0000000a0202', '00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000a0101',
     'Book the venue', 'done', 2, '00000000-0000-0000-0000-0000000000a1', null),
    ('00000000-0000-0000-0000-0000000a0203', '00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000a0102',
     'Rotate on-call', 'todo', 3, null, null),
    ('00000000-0000-0000-0000-0000000b0201', '00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-0000000b0101',
     'Draft Q3 roadmap', 'todo', 2, '00000000-0000-0000-0000-0000000000b1', date '2024-04-15');

insert into public.labels (id, organization_id, name, color) values
    ('00000000-0000-0000-0000-0000000a0301', '00000000-0000-0000-0000-00000000000a', 'urgent', '#d73a4a'),
    ('00000000-0000-0000-0000-0000000b0301', '00000000-0000-0000-0000-00000000000b', 'research', '#0075ca');

insert into public.task_labels (organization_id, task_id, label_id) values
    ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000a0201', '00000000-0000-0000-0000-0000000a0301'),
    ('00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-0000000b0201', '00000000-0000-0000-0000-0000000b0301');

insert into public.comments (organization_id, task_id, author_id, body) values
    ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000a0201', '00000000-0000-0000-0000-0000000000a1', 'First draft by Friday?'),
    ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000a0201', '00000000-0000-0000-0000-0000000000a2', 'On it.'),
    ('00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-0000000b0201', '00000000-0000-0000-0000-0000000000b1', 'Collecting input from sales.');

insert into public.time_entries (organization_id, task_id, user_id, minutes, spent_on, note) values
    ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000a0201', '00000000-0000-0000-0000-0000000000a2', 90, date '2024-02-20', 'outline'),
    ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000a0202', '00000000-0000-0000-0000-0000000000a1', 30, date '2024-02-21', null),
    ('00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-0000000b0201', '00000000-0000-0000-0000-0000000000b1', 120, date '2024-02-22', 'interviews');

insert into public.documents (id, organization_id, project_id, title, body) values
    ('00000000-0000-0000-0000-0000000a0401', '00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000a0101', 'Launch plan', 'Goals, audience, timeline.'),
    ('00000000-0000-0000-0000-0000000b0401', '00000000-0000-0000-0000-00000000000b', null, 'Research notes', 'Interview summaries.');

insert into public.attachments (organization_id, document_id, storage_path, file_name, content_type, byte_size) values
    ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000a0401',
     '00000000-0000-0000-0000-00000000000a/00000000-0000-0000-0000-0000000a0401/timeline.pdf', 'timeline.pdf', 'application/pdf', 48213),
    ('00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-0000000b0401',
     '00000000-0000-0000-0000-00000000000b/00000000-0000-0000-0000-0000000b0401/interviews.csv', 'interviews.csv', 'text/csv', 1800);

insert into storage.objects (bucket_id, name, metadata) values
    ('attachments', '00000000-0000-0000-0000-00000000000a/00000000-0000-0000-0000-0000000a0401/timeline.pdf',
     '{"size": 48213, "mimetype": "application/pdf"}'),
    ('attachments', '00000000-0000-0000-0000-00000000000b/00000000-0000-0000-0000-0000000b0401/interviews.csv',
     '{"size": 1800, "mimetype": "text/csv"}');

insert into public.customers (id, organization_id, name, email, phone) values
    ('00000000-0000-0000-0000-0000000a0501', '00000000-0000-0000-0000-00000000000a', 'Initech', 'billing@initech.test', '+1 555 0100'),
    ('00000000-0000-0000-0000-0000000b0501', '00000000-0000-0000-0000-00000000000b', 'Umbrella', 'ap@umbrella.test', null);

insert into public.invoices (id, organization_id, customer_id, number, status, currency, total_cents, due_date) values
    ('00000000-0000-0000-0000-0000000a0601', '00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000a0501',
     'ACME-2024-001', 'sent', 'EUR', 150000, date '2024-03-31'),
    ('00000000-0000-0000-0000-0000000b0601', '00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-0000000b0501',
     'GLX-2024-001', 'draft', 'USD', 42000, null);

insert into public.invoice_items (organization_id, invoice_id, description, quantity, unit_price_cents) values
    ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000a0601', 'Launch consulting (days)', 3, 50000),
    ('00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-0000000b0601', 'Research sprint', 1, 42000);
