-- Live updates in the task board: Supabase Realtime streams changes of the tables in the
-- supabase_realtime publication (RLS still decides who receives which row).
alter publication supabase_realtime add table public.tasks, public.comments;

-- migrate:down
alter publication supabase_realtime drop table public.tasks, public.comments;
