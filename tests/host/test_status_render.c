/*
 * test_status_render.c - the status page's JSON and HTML (apps/status/render.c):
 * the numbers a handler's counters hold appear under the documented names,
 * hostile text from the log is escaped for each format, the policy text
 * becomes its grants, and a buffer too small gets a prefix and the size
 * needed.
 */
#include <stdlib.h>
#include <string.h>

#include "apps/status/render.h"
#include "unit.h"

static struct optios_handler_info handlers[2];
static struct optios_log_record records[2];
static struct optios_net_info net;

static struct status_view view(void)
{
	memset(handlers, 0, sizeof handlers);
	memset(records, 0, sizeof records);
	memset(&net, 0, sizeof net);
	strcpy(handlers[0].name, "counter");
	strcpy(handlers[0].path, "/apps/counter");
	handlers[0].version = 1;
	handlers[0].state = OPTIOS_HANDLER_READY;
	handlers[0].runs = 42;
	handlers[0].failures = 3;
	handlers[0].last_result = OPTIOS_RUN_COMMIT;
	handlers[0].nsubs = 1;
	strcpy(handlers[0].subs[0].pattern, "timer:counter.tick");
	handlers[0].subs[0].policy = OPTIOS_POLICY_LATEST;
	handlers[0].subs[0].posted = 50;
	handlers[0].subs[0].delivered = 39;
	handlers[0].subs[0].coalesced = 8;
	handlers[0].subs[0].pending = 3;
	strcpy(handlers[1].name, "crasher");
	handlers[1].state = OPTIOS_HANDLER_QUARANTINED;
	records[0].seq = 7;
	records[0].kind = OPTIOS_LOG_OUTPUT;
	strcpy(records[0].handler, "counter");
	strcpy(records[0].text, "say \"hi\" <b>&\\ \x01\xff\n");
	records[1].seq = 8;
	records[1].kind = OPTIOS_LOG_COMMIT;
	records[1].time_ns = 2500000000ull;
	strcpy(net.name, "eth0");
	strcpy(net.driver, "virtio-net");
	net.addr = 0x0f02000a; /* 10.0.2.15 in network byte order */
	net.link_up = 1;
	net.rx_frames = 12;
	return (struct status_view){
		.time_ns = 3000000000ull,
		.handlers = handlers,
		.nhandlers = 2,
		.log = records,
		.nlog = 2,
		.log_seq = 8,
		.nets = &net,
		.nnets = 1,
		.policy = "# comment\ngrant  *  console\n\ngrant counter log.read # why\nbogus line\n",
		.refresh_s = 2};
}

TEST(status_json_names_every_counter)
{
	struct status_view v = view();
	static char out[16384];
	size_t n = status_render_json(&v, out, sizeof out);
	CHECK_EQ(n, strlen(out));
	CHECK(strstr(out,
		     "{\"name\":\"counter\",\"path\":\"/apps/counter\",\"version\":1,\"state\":\"ready\","
		     "\"runs\":42,\"failures\":3,\"last_result\":\"commit\","));
	CHECK(strstr(out,
		     "{\"pattern\":\"timer:counter.tick\",\"policy\":\"latest\",\"capacity\":0,\"posted\":50,"
		     "\"delivered\":39,\"coalesced\":8,\"dropped\":0,\"dead\":0,\"pending\":3}"));
	CHECK(strstr(out, "\"state\":\"quarantined\""));
	CHECK(strstr(out, "\"address\":\"10.0.2.15\""));
	CHECK(strstr(out, "\"log_seq\":8,"));
	CHECK(strstr(out, "\"kind\":\"output\""));
	CHECK(strstr(out, "{\"program\":\"*\",\"capability\":\"console\"}"));
	CHECK(strstr(out, "{\"program\":\"counter\",\"capability\":\"log.read\"}"));
	CHECK(!strstr(out, "bogus"));
	CHECK_EQ(out[n - 1], '\n');
}

TEST(status_json_escapes_log_text)
{
	struct status_view v = view();
	static char out[16384];
	status_render_json(&v, out, sizeof out);
	CHECK(strstr(out, "\"text\":\"say \\\"hi\\\" <b>&\\\\ \\u0001\\u00ff\""));
	for (const char *p = out; *p; p++)
		CHECK((unsigned char)*p >= 0x20 || *p == '\n');
}

TEST(status_html_escapes_and_shows_the_counters)
{
	struct status_view v = view();
	static char out[32768];
	size_t n = status_render_html(&v, out, sizeof out);
	CHECK_EQ(n, strlen(out));
	CHECK(strstr(out, "<meta http-equiv=\"refresh\" content=\"2\">"));
	CHECK(strstr(out, "say &quot;hi&quot; &lt;b&gt;&amp;\\ &#9217;&#65533;</td>"));
	CHECK(!strstr(out, "<b>"));
	CHECK(strstr(out, "<td rowspan=1 class=n>42</td>"));
	CHECK(strstr(out, "class=\"quarantined\">quarantined</td>"));
	CHECK(strstr(out, "<tr><td>counter</td><td>log.read</td></tr>"));
	CHECK(strstr(out, "<td>10.0.2.15</td>"));
	/* newest record first */
	CHECK(strstr(out, "<td class=n>8</td>") < strstr(out, "<td class=n>7</td>"));
	CHECK(strstr(out, "</body></html>\n"));
}

TEST(status_render_into_a_short_buffer_gives_a_prefix_and_the_size)
{
	struct status_view v = view();
	static char whole[32768], part[100];
	size_t n = status_render_html(&v, whole, sizeof whole);
	CHECK_EQ(status_render_html(&v, part, sizeof part), n);
	CHECK_EQ(strlen(part), sizeof part - 1);
	CHECK(memcmp(part, whole, sizeof part - 1) == 0);
	CHECK_EQ(status_render_json(&v, NULL, 0),
		 strlen(whole) ? status_render_json(&v, whole, sizeof whole) : 0);
}

TEST(status_words_for_unknown_numbers)
{
	CHECK_STR(status_state_word(99), "unknown");
	CHECK_STR(status_result_word(-1), "unknown");
	CHECK_STR(status_result_word(OPTIOS_RUN_BUDGET), "budget");
	CHECK_STR(status_log_kind_word(OPTIOS_LOG_DURABLE), "durable");
	CHECK_STR(status_log_kind_word(1000), "unknown");
}
