-- pggate LOCAL STAND-IN for pg_cron: NOT the real extension. Jobs are recorded in cron.job
-- exactly as pg_cron records them (schedule, unschedule, by id or by name), but there is no
-- scheduler: nothing ever runs, and cron.job_run_details stays empty.
\echo Use "CREATE EXTENSION pg_cron" to load this file. \quit

create schema if not exists cron;

create table cron.job (
    jobid     bigserial primary key,
    schedule  text not null,
    command   text not null,
    nodename  text not null default 'localhost',
    nodeport  integer not null default coalesce(inet_server_port(), current_setting('port')::integer),
    database  text not null default current_database(),
    username  text not null default current_user,
    active    boolean not null default true,
    jobname   text
);
create unique index jobname_username_uniq on cron.job (jobname, username);
comment on table cron.job is 'pggate local stand-in: jobs are recorded here and never run';

create table cron.job_run_details (
    jobid           bigint,
    runid           bigserial primary key,
    job_pid         integer,
    database        text,
    username        text,
    command         text,
    status          text,
    return_message  text,
    start_time      timestamptz,
    end_time        timestamptz
);

create function cron.schedule(schedule text, command text) returns bigint
    language sql volatile
as $$
    insert into cron.job (schedule, command) values (schedule, command) returning jobid
$$;

create function cron.schedule(job_name text, schedule text, command text) returns bigint
    language sql volatile
as $$
    insert into cron.job (jobname, schedule, command) values (job_name, schedule, command)
    on conflict (jobname, username) do update set schedule = excluded.schedule, command = excluded.command
    returning jobid
$$;

create function cron.schedule_in_database(job_name text, schedule text, command text, database text,
                                          username text default null, active boolean default true)
    returns bigint
    language sql volatile
as $$
    insert into cron.job (jobname, schedule, command, database, username, active)
    values (job_name, schedule, command, database, coalesce(username, current_user), active)
    on conflict (jobname, username) do update
        set schedule = excluded.schedule, command = excluded.command,
            database = excluded.database, active = excluded.active
    returning jobid
$$;

create function cron.unschedule(job_id bigint) returns boolean
    language plpgsql volatile
as $$
begin
    delete from cron.job where jobid = job_id;
    if not found then
        raise exception 'could not find valid entry for job %', job_id;
    end if;
    return true;
end
$$;

create function cron.unschedule(job_name text) returns boolean
    language plpgsql volatile
as $$
begin
    delete from cron.job where jobname = job_name and username = current_user;
    if not found then
        raise exception 'could not find valid entry for job ''%''', job_name;
    end if;
    return true;
end
$$;
