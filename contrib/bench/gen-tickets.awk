# gen-tickets.awk - a tickets.tsv of N tickets (about 10 events each)
# usage: awk -v n=100000 -f gen-tickets.awk > tickets.tsv
# Ticket i is closed when i % 10 < 7, else open (30 % open).
function ts(sec,   d, h, m, s) {
	# seconds after 2026-01-01T00:00:00+09:00, as RFC 3339
	d = int(sec / 86400); sec -= d * 86400
	h = int(sec / 3600); sec -= h * 3600
	m = int(sec / 60); s = sec - m * 60
	return sprintf("2026-%02d-%02dT%02d:%02d:%02d+09:00", int(d / 28) % 12 + 1, d % 28 + 1, h, m, s)
}
BEGIN {
	OFS = "\t"
	print "ts", "id", "event", "field", "value", "by"
	split("incident request inquiry maintenance", kinds, " ")
	split("high medium low", imp, " ")
	for (i = 1; i <= n; i++) {
		t = ts((i * 83) % (330 * 86400))
		u = "user" (i % 17)
		print t, i, "new", "title", "ticket number " i " on host web" (i % 50), u
		print t, i, "set", "kind", kinds[i % 4 + 1], u
		print t, i, "set", "occurred", t, u
		print t, i, "set", "impact", imp[i % 3 + 1], u
		print t, i, "set", "assignee", "engineer" (i % 9), u
		print t, i, "set", "status", "in-progress", u
		print t, i, "note", "", "looked at logs of web" (i % 50) "; restarted the service", u
		if (i % 10 < 7) {
			print t, i, "note", "", "works again, asked the customer to confirm", u
			print t, i, "set", "status", "confirming", u
			print t, i, "close", "approver", "manager" (i % 3), u
		} else {
			print t, i, "set", "status", "on-hold", u
		}
	}
}
