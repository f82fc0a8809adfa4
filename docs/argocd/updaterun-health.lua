-- Argo CD health of a kcau UpdateRun (resource.customizations.health.kcau.io_UpdateRun).
-- Reads the kstatus conditions kcau writes (Stalled, Ready, Reconciling), each at the run's
-- current generation, and falls back to status.phase for runs written by an older kcau.
--   Progressing: not yet seen by the controller at this generation, waiting to start, or
--                updating nodes;
--   Healthy:     every selected node updated (or had nothing to install);
--   Degraded:    the run ended without that (failure budget spent, invalid spec, stopped).
local hs = {}

local function condition(conditions, type)
  if conditions == nil then return nil end
  for _, c in ipairs(conditions) do
    if c.type == type then return c end
  end
  return nil
end

local function current(c, generation)
  return c ~= nil and (c.observedGeneration == nil or generation == nil or
                       c.observedGeneration >= generation)
end

local function progress(status)
  local total = status.nodesTotal or 0
  local done = status.nodesSucceeded or 0
  local failed = status.nodesFailed or 0
  return done .. " of " .. total .. " nodes updated, " .. failed .. " failed"
end

local status = obj.status
local generation = obj.metadata ~= nil and obj.metadata.generation or nil
if status == nil or status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for kcau-controller to pick the run up"
  return hs
end
if generation ~= nil and status.observedGeneration ~= nil and
    status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for kcau-controller to observe generation " .. generation
  return hs
end

local stalled = condition(status.conditions, "Stalled")
local ready = condition(status.conditions, "Ready")
if current(stalled, generation) and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = (stalled.reason or "Stalled") .. ": " .. (stalled.message or "")
  return hs
end
if current(ready, generation) and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message or progress(status)
  return hs
end

if status.phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = progress(status)
elseif status.phase == "Failed" then
  local failed = condition(status.conditions, "Failed")
  hs.status = "Degraded"
  hs.message = failed ~= nil and ((failed.reason or "") .. ": " .. (failed.message or ""))
               or progress(status)
else
  local reconciling = condition(status.conditions, "Reconciling")
  hs.status = "Progressing"
  if reconciling ~= nil and reconciling.status == "True" and reconciling.message ~= nil then
    hs.message = reconciling.message
  else
    hs.message = status.phase .. ": " .. progress(status)
  end
end
return hs
