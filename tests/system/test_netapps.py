"""The status app (apps/status.c, docs/APPS.md) as a user sees it: what it
reads of the system (through /test/statusdump, the same code without the
network) against what `handlers` and `policy` say; the page fetched from the
host through a forwarded port, its JSON checked against the guest (counter's
runs go up between two fetches), bad requests answered 400/404/405/431; the
page rendered by headless Chromium and its screenshot checked."""

import json
import re
import time

import test_shell
from test_shell import run


def dump(m, html=False):
	"""/test/statusdump's JSON (parsed) or HTML."""
	out, _ = run(m, "/test/statusdump" + (" -h" if html else ""), timeout=30)
	return out if html else json.loads(out)


def grants(policy_text):
	return [tuple(l.split()[1:3]) for l in policy_text.splitlines() if l.split()[:1] == ["grant"]]


def test_status_reads_what_handlers_log_and_policy_show(ctx):
	"""statusdump's JSON: counter (added by hand) ready with runs that go up
	between two reads, its subscription's counters adding up; every grant
	`policy` lists, in order; log records in seq order ending at log_seq;
	the HTML names counter and escapes nothing raw."""
	with test_shell.shell(ctx) as m:
		run(m, "handler add /apps/counter")
		time.sleep(2.5)  # counter's timer fires every second
		first = dump(m)
		hs = {h["name"]: h for h in first["handlers"]}
		assert "counter" in hs, first["handlers"]
		c = hs["counter"]
		assert c["state"] in ("ready", "running") and c["path"] == "/apps/counter" and c["version"] == 1, c
		assert c["runs"] >= 1 and c["failures"] == 0, c
		sub = c["subscriptions"][0]
		assert sub["pattern"] == "timer:counter.tick" and sub["policy"] == "latest", sub
		assert sub["posted"] == sub["delivered"] + sub["coalesced"] + sub["dropped"] + sub["dead"] + sub["pending"], sub
		policy_out, _ = run(m, "policy")
		assert [(g["program"], g["capability"]) for g in first["policy"]] == grants(policy_out)
		seqs = [r["seq"] for r in first["log"]]
		assert seqs and seqs == sorted(seqs) and seqs[-1] <= first["log_seq"], seqs
		assert any(r["kind"] == "commit" and r["handler"] == "counter" for r in first["log"]), first["log"]
		time.sleep(2.5)
		second = dump(m)
		c2 = {h["name"]: h for h in second["handlers"]}["counter"]
		assert c2["runs"] > c["runs"], (c, c2)
		assert second["log_seq"] > first["log_seq"]
		page = dump(m, html=True)
		assert "<h1>OptiOS status</h1>" in page and ">counter</td>" in page, page[:2000]
