-- wrk script: count every response whose status is not 200 (wrk's own
-- "Non-2xx or 3xx responses" line misses 3xx, e.g. a 302 to the OP).
-- Prints "NON200 <n>" and "STATUS <code> <n>" lines after the run.
local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   non200 = 0
   codes = {}
end

function response(status, headers, body)
   if status ~= 200 then
      non200 = non200 + 1
      codes[status] = (codes[status] or 0) + 1
   end
end

function done(summary, latency, requests)
   local n = 0
   local all = {}
   for _, t in ipairs(threads) do
      n = n + (t:get("non200") or 0)
      local c = t:get("codes")
      if c then
         for k, v in pairs(c) do all[k] = (all[k] or 0) + v end
      end
   end
   io.write(string.format("NON200 %d\n", n))
   for k, v in pairs(all) do
      io.write(string.format("STATUS %d %d\n", k, v))
   end
end
