-- What the agent asks most: progress per project, through the mcp view.
-- as: tenant
select * from mcp.project_progress order by tasks desc
