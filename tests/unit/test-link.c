/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The BLE link model against the bootloader model on a virtual clock: readiness and MTU,
 * the Write Request round trip, connection-event timing and throughput, TX back-pressure,
 * every fault, and the fault parser. */
#include <string.h>
#include <zlib.h>

#include "bluedfu/bdfu-error.h"
#include "core/bdfu-init-packet.h"
#include "core/bdfu-link.h"
#include "core/bdfu-proto.h"
#include "core/bdfu-target.h"

#define APP_START 0x27000u
#define IV 15000u

/* the fault parser ------------------------------------------------------------------------- */

static void
test_fault_parse(void)
{
	const struct {
		const gchar *text;
		BdfuFaultKind kind;
		guint64 value;
	} good[] = {
	    {"disconnect-at-byte:37000", BDFU_FAULT_DISCONNECT_AT_BYTE, 37000},
	    {"drop-packet:12", BDFU_FAULT_DROP_PACKET, 12},
	    {"corrupt-byte:5000", BDFU_FAULT_CORRUPT_BYTE, 5000},
	    {"corrupt-byte:0", BDFU_FAULT_CORRUPT_BYTE, 0},
	    {"corrupt-byte:0x1000", BDFU_FAULT_CORRUPT_BYTE, 4096},
	    {"lose-notification:3", BDFU_FAULT_LOSE_NOTIFICATION, 3},
	    {"disconnect-at-init", BDFU_FAULT_DISCONNECT_AT_INIT, 0},
	    {"disconnect-before-final-execute", BDFU_FAULT_DISCONNECT_BEFORE_FINAL_EXECUTE, 0},
	    {"none", BDFU_FAULT_NONE, 0},
	};
	for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
		BdfuFault fault = {.kind = 99, .value = 99, .fired = TRUE};
		g_autoptr(GError) error = NULL;
		g_assert_true(bdfu_fault_parse(good[i].text, &fault, &error));
		g_assert_no_error(error);
		g_assert_cmpint(fault.kind, ==, good[i].kind);
		g_assert_cmpuint(fault.value, ==, good[i].value);
		g_assert_false(fault.fired);
	}
}

static void
test_fault_parse_bad(void)
{
	const struct {
		const gchar *text;
		const gchar *message;
	} bad[] = {
	    {"",
	     "empty fault: expected disconnect-at-byte:N, disconnect-at-init, drop-packet:K, "
	     "corrupt-byte:N, lose-notification:K or disconnect-before-final-execute"},
	    {"explode:3",
	     "unknown fault 'explode:3': expected disconnect-at-byte:N, disconnect-at-init, "
	     "drop-packet:K, corrupt-byte:N, lose-notification:K or "
	     "disconnect-before-final-execute"},
	    {"Drop-Packet:3", NULL},
	    {"drop-packet", "fault 'drop-packet' needs a number: drop-packet:N"},
	    {"drop-packet:", "fault 'drop-packet:' needs a number: drop-packet:N"},
	    {"drop-packet:0", "fault 'drop-packet:0': '0' is not a number from 1 to 4294967295"},
	    {"drop-packet:-1", "fault 'drop-packet:-1': '-1' is not a number from 1 to 4294967295"},
	    {"drop-packet:+1", "fault 'drop-packet:+1': '+1' is not a number from 1 to 4294967295"},
	    {"drop-packet: 1", "fault 'drop-packet: 1': ' 1' is not a number from 1 to 4294967295"},
	    {"drop-packet:12x",
	     "fault 'drop-packet:12x': '12x' is not a number from 1 to 4294967295"},
	    {"lose-notification:0", NULL},
	    {"disconnect-at-byte:0", NULL},
	    {"corrupt-byte:4294967296",
	     "fault 'corrupt-byte:4294967296': '4294967296' is not a number from 0 to 4294967295"},
	    {"corrupt-byte:0x",
	     "fault 'corrupt-byte:0x': '0x' is not a number from 0 to 4294967295"},
	    {"disconnect-at-init:5",
	     "fault 'disconnect-at-init:5' takes no value: write just 'disconnect-at-init'"},
	    {"disconnect-before-final-execute:",
	     "fault 'disconnect-before-final-execute:' takes no value: write just "
	     "'disconnect-before-final-execute'"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		BdfuFault fault = {.kind = BDFU_FAULT_DROP_PACKET, .value = 77, .fired = TRUE};
		g_autoptr(GError) error = NULL;
		g_test_message("fault text '%s'", bad[i].text);
		g_assert_false(bdfu_fault_parse(bad[i].text, &fault, &error));
		g_assert_error(error, BDFU_ERROR, BDFU_ERROR_INVALID_ARGUMENT);
		if (bad[i].message != NULL)
			g_assert_cmpstr(error->message, ==, bad[i].message);
		g_assert_nonnull(strstr(error->message, bad[i].text));
		/* untouched on failure */
		g_assert_cmpint(fault.kind, ==, BDFU_FAULT_DROP_PACKET);
		g_assert_cmpuint(fault.value, ==, 77);
		g_assert_true(fault.fired);
	}
	{
		BdfuFault fault;
		g_autoptr(GError) error = NULL;
		g_assert_false(bdfu_fault_parse(NULL, &fault, &error));
		g_assert_error(error, BDFU_ERROR, BDFU_ERROR_INVALID_ARGUMENT);
	}
}

/* a host on the link ----------------------------------------------------------------------- */

typedef struct {
	BdfuTarget *target;
	BdfuLink *link;
	BdfuLinkConfig config;
	BdfuFault faults[4];
	guint n_faults;
	guint64 now;
	guint ready;
	guint writable;
	GPtrArray *notes;    /* GBytes */
	GArray *note_events; /* guint64: link events when each notification arrived */
	GArray *ctrl_status; /* guint8 */
	GArray *order;	     /* 'n' notification, 'w' write answered */
	gint reason;	     /* -1 while connected */
	guint disconnects;
	guint64 disconnect_events;
	gboolean stream_on_writable;
	const guint8 *stream; /* streams these bytes in chunks as the queue allows */
	gsize stream_len;
	gsize stream_pos;
	gsize chunk;
} Host;

static void
host_ready(gpointer user_data)
{
	Host *h = user_data;
	h->ready++;
}

static void
host_notification(gpointer user_data, const guint8 *buf, gsize len)
{
	Host *h = user_data;
	guint64 events = bdfu_link_get_events(h->link);
	g_ptr_array_add(h->notes, g_bytes_new(buf, len));
	g_array_append_val(h->note_events, events);
	g_array_append_val(h->order, "n"[0]);
}

static void
host_indication(gpointer user_data, const guint8 *buf, gsize len)
{
	Host *h = user_data;
	g_ptr_array_add(h->notes, g_bytes_new(buf, len));
	g_array_append_val(h->order, "i"[0]);
}

static void
host_ctrl_written(gpointer user_data, guint8 status)
{
	Host *h = user_data;
	g_array_append_val(h->ctrl_status, status);
	g_array_append_val(h->order, "w"[0]);
}

static void
host_pump_stream(Host *h)
{
	while (h->stream != NULL && h->stream_pos < h->stream_len) {
		gboolean full = FALSE;
		gsize n = MIN(h->chunk, h->stream_len - h->stream_pos);
		if (!bdfu_link_write_data(h->link, h->stream + h->stream_pos, n, &full)) {
			g_assert_true(full);
			return;
		}
		h->stream_pos += n;
	}
}

static void
host_writable(gpointer user_data)
{
	Host *h = user_data;
	h->writable++;
	if (h->stream_on_writable)
		host_pump_stream(h);
}

static void
host_disconnected(gpointer user_data, guint8 reason)
{
	Host *h = user_data;
	h->reason = reason;
	h->disconnects++;
	h->disconnect_events = bdfu_link_get_events(h->link);
}

static const BdfuLinkCallbacks host_callbacks = {
    .ready = host_ready,
    .notification = host_notification,
    .indication = host_indication,
    .ctrl_written = host_ctrl_written,
    .writable = host_writable,
    .disconnected = host_disconnected,
};

static void
host_idle_target(Host *h, guint64 us)
{
	guint64 end = h->now + us;
	while (h->now < end) {
		guint64 next = MIN(bdfu_target_next_event_us(h->target), end);
		h->now = MAX(h->now, next);
		bdfu_target_advance(h->target, h->now);
	}
}

static void
host_target_new(Host *h, guint sdk_major, BdfuTargetMode mode)
{
	BdfuTargetConfig config;
	bdfu_target_config_init(&config);
	config.sdk_major = sdk_major;
	config.start_in_dfu = mode == BDFU_TARGET_MODE_DFU;
	config.app_valid = mode == BDFU_TARGET_MODE_APP;
	config.app_start = APP_START;
	h->target = bdfu_target_new(&config, NULL, NULL);
	bdfu_target_config_clear(&config);
	bdfu_target_advance(h->target, h->now);
	for (guint i = 0; i < 50 && bdfu_target_get_mode(h->target) != mode; i++)
		host_idle_target(h, 100000);
	g_assert_cmpint(bdfu_target_get_mode(h->target), ==, mode);
}

static Host *
host_new_mode(guint sdk_major, BdfuTargetMode mode)
{
	Host *h = g_new0(Host, 1);
	h->now = 1000000;
	h->notes = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	h->note_events = g_array_new(FALSE, FALSE, sizeof(guint64));
	h->ctrl_status = g_array_new(FALSE, FALSE, sizeof(guint8));
	h->order = g_array_new(TRUE, FALSE, sizeof(gchar));
	h->reason = -1;
	bdfu_link_config_init(&h->config);
	host_target_new(h, sdk_major, mode);
	return h;
}

static Host *
host_new(guint sdk_major)
{
	return host_new_mode(sdk_major, BDFU_TARGET_MODE_DFU);
}

static void
host_free(Host *h)
{
	bdfu_link_free(h->link);
	bdfu_target_free(h->target);
	g_ptr_array_unref(h->notes);
	g_array_unref(h->note_events);
	g_array_unref(h->ctrl_status);
	g_array_unref(h->order);
	g_free(h);
}

/* one step of virtual time: to the earliest thing the link or the target has to do */
static gboolean
host_step(Host *h)
{
	guint64 next = bdfu_link_next_event_us(h->link);
	if (next == G_MAXUINT64)
		return FALSE;
	h->now = MAX(h->now, next);
	bdfu_link_advance(h->link, h->now);
	return TRUE;
}

static void
host_connect(Host *h)
{
	h->link = bdfu_link_new(
	    h->target, &h->config, h->now, h->faults, h->n_faults, &host_callbacks, h);
	g_assert_nonnull(h->link);
	h->reason = -1;
	while (h->ready == 0 && host_step(h))
		;
	g_assert_cmpuint(h->ready, ==, 1);
	g_assert_true(bdfu_link_is_ready(h->link));
	h->chunk = bdfu_link_get_mtu(h->link) - 3;
}

/* runs until the host got `n` notifications in total or the link dropped */
static void
host_wait_notes(Host *h, guint n)
{
	for (guint i = 0; i < 100000 && h->notes->len < n && h->reason < 0; i++) {
		if (!host_step(h))
			break;
	}
}

/* lets `us` of virtual time pass on the link */
static void
host_wait(Host *h, guint64 us)
{
	guint64 end = h->now + us;
	while (h->now < end) {
		guint64 next = MIN(bdfu_link_next_event_us(h->link), end);
		h->now = MAX(h->now, next);
		bdfu_link_advance(h->link, h->now);
	}
}

/* writes a request and returns its answer, NULL if none came before the link dropped */
static GBytes *
host_request(Host *h, const guint8 *buf, gsize len)
{
	guint n = h->notes->len;
	g_assert_true(bdfu_link_write_ctrl(h->link, buf, len));
	host_wait_notes(h, n + 1);
	if (h->notes->len <= n)
		return NULL;
	return g_ptr_array_index(h->notes, h->notes->len - 1);
}

static BdfuResponse
host_request_ok(Host *h, const guint8 *buf, gsize len)
{
	BdfuResponse r;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *what = bdfu_proto_describe_request(buf, len);
	GBytes *answer = host_request(h, buf, len);
	gsize alen = 0;
	const guint8 *adata;
	g_assert_nonnull(answer);
	adata = g_bytes_get_data(answer, &alen);
	g_assert_true(bdfu_proto_decode_response(adata, alen, &r, &error));
	g_assert_no_error(error);
	if (r.result != BDFU_RES_SUCCESS) {
		g_autofree gchar *desc = bdfu_proto_describe_response(adata, alen);
		g_error("%s: %s", what, desc);
	}
	return r;
}

static void
host_enable(Host *h)
{
	g_assert_true(bdfu_link_enable_notifications(h->link));
}

/* streams `len` bytes to the Packet characteristic and waits until the queue drained */
static void
host_stream(Host *h, const guint8 *buf, gsize len)
{
	h->stream = buf;
	h->stream_len = len;
	h->stream_pos = 0;
	h->stream_on_writable = TRUE;
	host_pump_stream(h);
	for (guint i = 0; i < 100000 && h->stream_pos < h->stream_len && h->reason < 0; i++) {
		if (!host_step(h))
			break;
	}
	h->stream_on_writable = FALSE;
	h->stream = NULL;
}

/* an application the target accepts, and its unsigned init packet */
static GBytes *
make_app(gsize len)
{
	guint8 *img = g_malloc(len);
	for (gsize i = 0; i < len; i++)
		img[i] = (guint8)(i * 13 + 7);
	for (guint i = 0; i < 16; i++) {
		guint32 v = i == 0 ? 0x20010000u : APP_START + 0x201u + i * 2;
		img[i * 4] = (guint8)v;
		img[i * 4 + 1] = (guint8)(v >> 8);
		img[i * 4 + 2] = (guint8)(v >> 16);
		img[i * 4 + 3] = (guint8)(v >> 24);
	}
	return g_bytes_new_take(img, len);
}

static GBytes *
make_init(GBytes *app)
{
	BdfuInitPacket packet = {0};
	g_autoptr(GError) error = NULL;
	GBytes *dat;
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(app, &len);

	packet.has_op_code = TRUE;
	packet.op_code = 1;
	packet.has_init = TRUE;
	packet.has_fw_version = TRUE;
	packet.fw_version = 1;
	packet.has_hw_version = TRUE;
	packet.hw_version = 52;
	packet.sd_req_len = 1;
	packet.sd_req[0] = 0x100;
	packet.sd_req_packed = TRUE;
	packet.has_type = TRUE;
	packet.type = BDFU_FW_TYPE_APPLICATION;
	packet.has_sd_size = TRUE;
	packet.has_bl_size = TRUE;
	packet.has_app_size = TRUE;
	packet.app_size = (guint32)len;
	packet.has_hash = TRUE;
	packet.hash_type = BDFU_HASH_TYPE_SHA256;
	packet.hash_len = 32;
	bdfu_init_packet_hash_image(data, len, packet.hash);
	dat = bdfu_init_packet_encode(&packet, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(dat);
	return dat;
}

/* Select, Create, stream, CRC, Execute for the init packet */
static void
host_send_init(Host *h, GBytes *dat)
{
	guint8 req[BDFU_PROTO_MAX_REQUEST];
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(dat, &len);
	BdfuResponse r;

	host_request_ok(h, req, bdfu_proto_encode_set_prn(req, 0));
	host_request_ok(h, req, bdfu_proto_encode_create(req, BDFU_OBJ_COMMAND, (guint32)len));
	host_stream(h, data, len);
	r = host_request_ok(h, req, bdfu_proto_encode_calc_crc(req));
	g_assert_cmpuint(r.offset, ==, len);
	g_assert_cmpuint(r.crc, ==, crc32(0, data, (uInt)len));
	host_request_ok(h, req, bdfu_proto_encode_execute(req));
}

/* one data object at `offset`; returns the CRC answer */
static BdfuResponse
host_send_object(Host *h, GBytes *app, gsize offset, gsize size)
{
	guint8 req[BDFU_PROTO_MAX_REQUEST];
	const guint8 *data = g_bytes_get_data(app, NULL);
	host_request_ok(h, req, bdfu_proto_encode_create(req, BDFU_OBJ_DATA, (guint32)size));
	/* the page erase runs after the answer; packets sent into it would be dropped */
	host_wait(h, 400000);
	host_stream(h, data + offset, size);
	return host_request_ok(h, req, bdfu_proto_encode_calc_crc(req));
}

/* tests ------------------------------------------------------------------------------------ */

static void
test_ready_and_mtu(void)
{
	const struct {
		guint sdk;
		guint16 requested;
		guint16 mtu;
	} cases[] = {
	    {17, 247, 247},
	    {17, 517, 247},
	    {17, 185, 183}, /* payload rounded to a multiple of 4 */
	    {17, 23, 23},
	    {12, 247, 23},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		Host *h = host_new(cases[i].sdk);
		guint8 req[BDFU_PROTO_MAX_REQUEST];
		guint8 big[300] = {0};
		guint64 start = h->now;
		gboolean full = TRUE;

		h->config.requested_mtu = cases[i].requested;
		h->link = bdfu_link_new(h->target, &h->config, h->now, NULL, 0, &host_callbacks, h);
		g_assert_nonnull(h->link);
		/* a second central cannot connect */
		g_assert_null(bdfu_link_new(h->target, &h->config, h->now, NULL, 0, NULL, NULL));
		g_assert_true(bdfu_link_is_connected(h->link));
		g_assert_false(bdfu_link_is_ready(h->link));
		g_assert_false(bdfu_link_write_ctrl(
		    h->link, req, bdfu_proto_encode_select(req, BDFU_OBJ_DATA)));
		g_assert_cmpuint(
		    bdfu_link_next_event_us(h->link), ==, start + h->config.connect_time_us);
		g_assert_true(host_step(h));
		g_assert_cmpuint(h->ready, ==, 1);
		g_assert_cmpuint(h->now, ==, start + 60000);
		g_assert_true(bdfu_link_is_ready(h->link));
		g_assert_cmpuint(bdfu_link_get_mtu(h->link), ==, cases[i].mtu);
		/* writes longer than MTU-3 are refused, MTU-3 is fine */
		g_assert_false(bdfu_link_write_data(h->link, big, cases[i].mtu - 2, &full));
		g_assert_false(full);
		g_assert_true(bdfu_link_write_data(h->link, big, cases[i].mtu - 3, &full));
		g_assert_false(bdfu_link_write_ctrl(h->link, big, cases[i].mtu - 2));
		host_free(h);
	}
}

static void
test_ctrl_round_trip(void)
{
	Host *h = host_new(17);
	guint8 req[BDFU_PROTO_MAX_REQUEST];
	BdfuResponse r;
	guint64 before;

	host_connect(h);
	g_assert_cmpuint(bdfu_link_get_events(h->link), ==, 0);
	host_enable(h);
	g_assert_true(
	    bdfu_link_write_ctrl(h->link, req, bdfu_proto_encode_select(req, BDFU_OBJ_COMMAND)));
	host_wait_notes(h, 1);
	g_assert_cmpuint(h->notes->len, ==, 1);
	/* event 1 carries the CCCD write, event 2 its answer; the Select waits for it (one
	 * request at a time), goes out in event 3 and is answered in event 4 */
	g_assert_cmpuint(g_array_index(h->note_events, guint64, 0), ==, 4);
	g_assert_cmpuint(h->now, ==, 1000000 + 60000 + 4 * IV);
	g_assert_cmpstr(h->order->data, ==, "wn");
	g_assert_cmpuint(g_array_index(h->ctrl_status, guint8, 0), ==, 0);
	r = host_request_ok(h, req, bdfu_proto_encode_select(req, BDFU_OBJ_DATA));
	g_assert_cmpuint(r.max_size, ==, 4096);
	g_assert_cmpuint(r.offset, ==, 0);

	/* a request written now goes out at the next event and is answered at the one after */
	before = bdfu_link_get_events(h->link);
	host_request_ok(h, req, bdfu_proto_encode_set_prn(req, 0));
	g_assert_cmpuint(bdfu_link_get_events(h->link), ==, before + 2);

	/* idle time passes without work, but the events are counted */
	g_assert_cmpuint(
	    bdfu_link_next_event_us(h->link), ==, bdfu_target_next_event_us(h->target));
	before = bdfu_link_get_events(h->link);
	h->now += 10 * IV;
	bdfu_link_advance(h->link, h->now);
	g_assert_cmpuint(bdfu_link_get_events(h->link), ==, before + 10);
	host_free(h);
}

static void
test_ctrl_needs_cccd(void)
{
	Host *h = host_new(17);
	guint8 req[BDFU_PROTO_MAX_REQUEST];

	host_connect(h);
	g_assert_true(
	    bdfu_link_write_ctrl(h->link, req, bdfu_proto_encode_select(req, BDFU_OBJ_DATA)));
	host_wait(h, 10 * IV);
	g_assert_cmpuint(h->ctrl_status->len, ==, 1);
	g_assert_cmpuint(g_array_index(h->ctrl_status, guint8, 0), ==, 0xFD);
	g_assert_cmpuint(h->notes->len, ==, 0);
	host_free(h);
}

/* the command object takes Packet writes without flash: count events for N writes */
static void
test_throughput_and_back_pressure(void)
{
	const guint ppe[] = {1, 3, 6};
	for (guint i = 0; i < G_N_ELEMENTS(ppe); i++) {
		Host *h = host_new(17);
		guint8 req[BDFU_PROTO_MAX_REQUEST];
		guint8 bytes[480];
		BdfuResponse r;
		guint64 start, used, packets = sizeof(bytes) / 20;
		gboolean full = FALSE;
		guint accepted = 0;

		h->config.packets_per_event = ppe[i];
		h->config.tx_queue_packets = 4;
		h->config.requested_mtu = 23;
		for (gsize j = 0; j < sizeof(bytes); j++)
			bytes[j] = (guint8)(j ^ 0x5A);
		host_connect(h);
		host_enable(h);
		host_request_ok(
		    h, req, bdfu_proto_encode_create(req, BDFU_OBJ_COMMAND, sizeof(bytes)));

		/* the queue takes tx_queue_packets writes, then says full */
		while (bdfu_link_write_data(h->link, bytes + accepted * 20, 20, &full))
			accepted++;
		g_assert_true(full);
		g_assert_cmpuint(accepted, ==, 4);
		g_assert_cmpuint(h->writable, ==, 0);
		start = bdfu_link_get_events(h->link);
		host_step(h);
		/* one event drained up to packets_per_event of them and said so */
		g_assert_cmpuint(bdfu_link_get_events(h->link), ==, start + 1);
		g_assert_cmpuint(h->writable, ==, 1);
		g_assert_true(bdfu_link_write_data(h->link, bytes + accepted * 20, 20, &full));
		accepted++;
		for (guint k = 1; k < MIN(ppe[i], 4u); k++) {
			g_assert_true(
			    bdfu_link_write_data(h->link, bytes + accepted * 20, 20, &full));
			accepted++;
		}
		g_assert_false(bdfu_link_write_data(h->link, bytes + accepted * 20, 20, &full));
		g_assert_true(full);

		h->stream = NULL;
		host_stream(h, bytes + accepted * 20, sizeof(bytes) - accepted * 20);
		r = host_request_ok(h, req, bdfu_proto_encode_calc_crc(req));
		used = bdfu_link_get_events(h->link) - start;
		g_assert_cmpuint(r.offset, ==, sizeof(bytes));
		g_assert_cmpuint(r.crc, ==, crc32(0, bytes, sizeof(bytes)));
		/* at most packets_per_event writes per event (a queue of 4 caps it too), plus the
		 * CRC round trip */
		g_test_message("ppe %u: %" G_GUINT64_FORMAT " events", ppe[i], used);
		g_assert_cmpuint(used, >=, (packets + MIN(ppe[i], 4u) - 1) / MIN(ppe[i], 4u) + 1);
		g_assert_cmpuint(used, <=, 2 * packets / MIN(ppe[i], 4u) + 4);
		host_free(h);
	}
}

static void
test_data_transfer(void)
{
	Host *h = host_new(17);
	g_autoptr(GBytes) app = make_app(10000);
	g_autoptr(GBytes) dat = make_init(app);
	const guint8 *data = g_bytes_get_data(app, NULL);
	guint8 req[BDFU_PROTO_MAX_REQUEST];
	BdfuResponse r;

	host_connect(h);
	host_enable(h);
	host_send_init(h, dat);
	r = host_request_ok(h, req, bdfu_proto_encode_select(req, BDFU_OBJ_DATA));
	g_assert_cmpuint(r.offset, ==, 0);
	for (gsize off = 0; off < 10000; off += 4096) {
		gsize size = MIN(4096, 10000 - off);
		r = host_send_object(h, app, off, size);
		g_assert_cmpuint(r.offset, ==, off + size);
		g_assert_cmpuint(r.crc, ==, crc32(0, data, (uInt)(off + size)));
		if (off + size < 10000)
			host_request_ok(h, req, bdfu_proto_encode_execute(req));
	}
	/* the final Execute: answered, then the target drops the link itself and resets */
	host_request_ok(h, req, bdfu_proto_encode_execute(req));
	for (guint i = 0; i < 1000 && h->reason < 0; i++)
		host_step(h);
	g_assert_cmpint(h->reason, ==, 0x13);
	g_assert_cmpuint(h->disconnects, ==, 1);
	g_assert_false(bdfu_link_is_connected(h->link));
	g_assert_false(bdfu_link_write_ctrl(h->link, req, bdfu_proto_encode_execute(req)));
	host_idle_target(h, 5000000);
	g_assert_cmpuint(h->disconnects, ==, 1);
	host_free(h);
}

static void
test_host_disconnect(void)
{
	Host *h = host_new(17);
	guint8 req[BDFU_PROTO_MAX_REQUEST];
	host_connect(h);
	host_enable(h);
	g_assert_true(
	    bdfu_link_write_ctrl(h->link, req, bdfu_proto_encode_select(req, BDFU_OBJ_DATA)));
	bdfu_link_disconnect(h->link);
	g_assert_false(bdfu_link_is_connected(h->link));
	g_assert_false(bdfu_target_is_connected(h->target));
	/* the callback comes from the next advance, once */
	g_assert_cmpuint(h->disconnects, ==, 0);
	g_assert_true(host_step(h));
	g_assert_cmpuint(h->disconnects, ==, 1);
	g_assert_cmpint(h->reason, ==, 0x16);
	bdfu_link_disconnect(h->link);
	host_idle_target(h, 100000);
	bdfu_link_advance(h->link, h->now);
	g_assert_cmpuint(h->disconnects, ==, 1);
	g_assert_cmpuint(h->notes->len, ==, 0);
	/* the target takes a new central */
	bdfu_link_free(h->link);
	h->link = NULL;
	h->ready = 0;
	host_connect(h);
	host_free(h);
}

/* the application's buttonless service: Write Request, indication, confirmation, reset */
static void
test_buttonless(void)
{
	Host *h = host_new_mode(17, BDFU_TARGET_MODE_APP);
	guint8 req[2 + BDFU_BUTTONLESS_NAME_MAX];
	guint8 op = 0, result = 0;
	gsize alen = 0;
	const guint8 *answer;
	g_autoptr(GError) error = NULL;

	host_connect(h);
	/* without indications the write is refused at the ATT level */
	g_assert_true(
	    bdfu_link_write_buttonless(h->link, req, bdfu_proto_encode_buttonless_enter(req)));
	host_wait(h, 5 * IV);
	g_assert_cmpuint(h->ctrl_status->len, ==, 1);
	g_assert_cmpuint(g_array_index(h->ctrl_status, guint8, 0), ==, 0xFD);
	g_assert_cmpint(h->reason, ==, -1);

	g_assert_true(bdfu_link_enable_indications(h->link));
	g_assert_true(
	    bdfu_link_write_buttonless(h->link, req, bdfu_proto_encode_buttonless_enter(req)));
	for (guint i = 0; i < 1000 && h->reason < 0; i++)
		host_step(h);
	/* answered, indicated, confirmed by the host's ATT layer, then the device resets */
	g_assert_cmpstr(h->order->data, ==, "wwi");
	g_assert_cmpuint(g_array_index(h->ctrl_status, guint8, 1), ==, 0);
	answer = g_bytes_get_data(g_ptr_array_index(h->notes, 0), &alen);
	g_assert_true(bdfu_proto_decode_buttonless_response(answer, alen, &op, &result, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(op, ==, BDFU_BUTTONLESS_OP_ENTER_BOOTLOADER);
	g_assert_cmpuint(result, ==, BDFU_BUTTONLESS_RES_SUCCESS);
	g_assert_cmpint(h->reason, >=, 0);
	g_assert_cmpuint(h->disconnects, ==, 1);
	host_idle_target(h, 3000000);
	g_assert_cmpint(bdfu_target_get_mode(h->target), ==, BDFU_TARGET_MODE_DFU);
	host_free(h);
}

/* faults ------------------------------------------------------------------------------------ */

static Host *
host_new_fault(const gchar *text, guint sdk_major)
{
	Host *h = host_new(sdk_major);
	g_autoptr(GError) error = NULL;
	g_assert_true(bdfu_fault_parse(text, &h->faults[0], &error));
	g_assert_no_error(error);
	h->n_faults = 1;
	return h;
}

static void
test_fault_disconnect_at_byte(void)
{
	Host *h = host_new_fault("disconnect-at-byte:5000", 15);
	g_autoptr(GBytes) app = make_app(10000);
	g_autoptr(GBytes) dat = make_init(app);
	const guint8 *data = g_bytes_get_data(app, NULL);
	guint8 req[BDFU_PROTO_MAX_REQUEST];
	BdfuResponse r;

	host_connect(h);
	host_enable(h);
	host_send_init(h, dat);
	host_request_ok(h, req, bdfu_proto_encode_select(req, BDFU_OBJ_DATA));
	r = host_send_object(h, app, 0, 4096);
	host_request_ok(h, req, bdfu_proto_encode_execute(req));
	g_assert_false(h->faults[0].fired);
	host_request_ok(h, req, bdfu_proto_encode_create(req, BDFU_OBJ_DATA, 4096));
	host_wait(h, 400000);
	host_stream(h, data + 4096, 4096);
	g_assert_true(h->faults[0].fired);
	for (guint i = 0; i < 10 && h->reason < 0; i++)
		host_step(h);
	g_assert_cmpint(h->reason, ==, 0x08);
	g_assert_false(bdfu_target_is_connected(h->target));

	/* reconnect: the target got 5000 bytes or a few more, the fault does not fire again */
	bdfu_link_free(h->link);
	h->ready = 0;
	host_connect(h);
	host_enable(h);
	r = host_request_ok(h, req, bdfu_proto_encode_select(req, BDFU_OBJ_DATA));
	g_test_message("Select after the drop: offset %u", r.offset);
	host_request_ok(h, req, bdfu_proto_encode_create(req, BDFU_OBJ_DATA, 4096));
	host_wait(h, 400000);
	host_stream(h, data + 4096, 4096);
	r = host_request_ok(h, req, bdfu_proto_encode_calc_crc(req));
	g_assert_cmpuint(r.offset, ==, 8192);
	g_assert_cmpuint(r.crc, ==, crc32(0, data, 8192));
	g_assert_cmpint(h->reason, ==, -1);
	host_free(h);
}

static void
test_fault_disconnect_at_init(void)
{
	Host *h = host_new_fault("disconnect-at-init", 15);
	g_autoptr(GBytes) app = make_app(4096);
	g_autoptr(GBytes) dat = make_init(app);
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(dat, &len);
	guint8 req[BDFU_PROTO_MAX_REQUEST];
	BdfuResponse r;

	host_connect(h);
	host_enable(h);
	host_request_ok(h, req, bdfu_proto_encode_select(req, BDFU_OBJ_DATA));
	g_assert_false(h->faults[0].fired);
	host_request_ok(h, req, bdfu_proto_encode_create(req, BDFU_OBJ_COMMAND, (guint32)len));
	h->chunk = 20;
	host_stream(h, data, len);
	for (guint i = 0; i < 10 && h->reason < 0; i++)
		host_step(h);
	g_assert_true(h->faults[0].fired);
	g_assert_cmpint(h->reason, ==, 0x08);

	/* the first Packet write of the init packet arrived, nothing after it */
	bdfu_link_free(h->link);
	h->ready = 0;
	host_connect(h);
	host_enable(h);
	r = host_request_ok(h, req, bdfu_proto_encode_select(req, BDFU_OBJ_COMMAND));
	g_assert_cmpuint(r.offset, ==, 20);
	g_assert_cmpuint(r.crc, ==, crc32(0, data, 20));
	/* and the init packet goes through on this link */
	host_send_init(h, dat);
	g_assert_cmpint(h->reason, ==, -1);
	host_free(h);
}

static void
test_fault_drop_packet(void)
{
	Host *h = host_new_fault("drop-packet:3", 17);
	guint8 req[BDFU_PROTO_MAX_REQUEST];
	guint8 bytes[200];
	guint8 expect[180];
	BdfuResponse r;

	for (gsize i = 0; i < sizeof(bytes); i++)
		bytes[i] = (guint8)i;
	/* packets 1, 2, 4.. of 20 bytes arrive; the 3rd (bytes 40..59) is lost */
	memcpy(expect, bytes, 40);
	memcpy(expect + 40, bytes + 60, 140);
	h->config.requested_mtu = 23;
	host_connect(h);
	host_enable(h);
	host_request_ok(h, req, bdfu_proto_encode_create(req, BDFU_OBJ_COMMAND, sizeof(bytes)));
	host_stream(h, bytes, sizeof(bytes));
	r = host_request_ok(h, req, bdfu_proto_encode_calc_crc(req));
	g_assert_true(h->faults[0].fired);
	g_assert_cmpuint(r.offset, ==, 180);
	g_assert_cmpuint(r.crc, ==, crc32(0, expect, sizeof(expect)));
	host_free(h);
}

static void
test_fault_corrupt_byte(void)
{
	Host *h = host_new_fault("corrupt-byte:5000", 17);
	g_autoptr(GBytes) app = make_app(10000);
	g_autoptr(GBytes) dat = make_init(app);
	const guint8 *data = g_bytes_get_data(app, NULL);
	g_autofree guint8 *flipped = g_memdup2(data, 10000);
	guint8 req[BDFU_PROTO_MAX_REQUEST];
	BdfuResponse r;

	flipped[5000] ^= 0xFF;
	host_connect(h);
	host_enable(h);
	host_send_init(h, dat);
	host_request_ok(h, req, bdfu_proto_encode_select(req, BDFU_OBJ_DATA));
	r = host_send_object(h, app, 0, 4096);
	g_assert_cmpuint(r.crc, ==, crc32(0, data, 4096));
	host_request_ok(h, req, bdfu_proto_encode_execute(req));
	r = host_send_object(h, app, 4096, 4096);
	g_assert_true(h->faults[0].fired);
	g_assert_cmpuint(r.offset, ==, 8192);
	g_assert_cmpuint(r.crc, ==, crc32(0, flipped, 8192));
	g_assert_cmpuint(r.crc, !=, crc32(0, data, 8192));
	/* the object is created again and resent: the second time it arrives intact */
	r = host_send_object(h, app, 4096, 4096);
	g_assert_cmpuint(r.offset, ==, 8192);
	g_assert_cmpuint(r.crc, ==, crc32(0, data, 8192));
	host_free(h);
}

static void
test_fault_lose_notification(void)
{
	Host *h = host_new_fault("lose-notification:2", 17);
	guint8 req[BDFU_PROTO_MAX_REQUEST];
	GBytes *answer;

	host_connect(h);
	host_enable(h);
	host_request_ok(h, req, bdfu_proto_encode_select(req, BDFU_OBJ_COMMAND));
	g_assert_true(
	    bdfu_link_write_ctrl(h->link, req, bdfu_proto_encode_select(req, BDFU_OBJ_DATA)));
	host_wait(h, 20 * IV);
	/* the request was answered at the ATT level, its notification never came */
	g_assert_true(h->faults[0].fired);
	g_assert_cmpuint(h->notes->len, ==, 1);
	g_assert_cmpuint(h->ctrl_status->len, ==, 2);
	answer = host_request(h, req, bdfu_proto_encode_select(req, BDFU_OBJ_DATA));
	g_assert_nonnull(answer);
	g_assert_cmpuint(h->notes->len, ==, 2);
	host_free(h);
}

static void
test_fault_final_execute(void)
{
	Host *h = host_new_fault("disconnect-before-final-execute", 17);
	g_autoptr(GBytes) app = make_app(8192);
	g_autoptr(GBytes) dat = make_init(app);
	guint8 req[BDFU_PROTO_MAX_REQUEST];
	guint notes;

	host_connect(h);
	host_enable(h);
	host_send_init(h, dat);
	host_request_ok(h, req, bdfu_proto_encode_select(req, BDFU_OBJ_DATA));
	host_send_object(h, app, 0, 4096);
	/* not the final one: answered */
	host_request_ok(h, req, bdfu_proto_encode_execute(req));
	g_assert_false(h->faults[0].fired);
	/* the image is an exact multiple of 4096: the init packet tells the link it is final */
	host_send_object(h, app, 4096, 4096);
	notes = h->notes->len;
	g_assert_true(bdfu_link_write_ctrl(h->link, req, bdfu_proto_encode_execute(req)));
	for (guint i = 0; i < 10 && h->reason < 0; i++)
		host_step(h);
	g_assert_true(h->faults[0].fired);
	g_assert_cmpint(h->reason, ==, 0x08);
	g_assert_cmpuint(h->notes->len, ==, notes);
	/* the Execute reached the target: it installs the image and boots it */
	host_idle_target(h, 15000000);
	g_assert_true(bdfu_target_get_app_valid(h->target));
	host_free(h);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/link/fault/parse", test_fault_parse);
	g_test_add_func("/link/fault/parse-bad", test_fault_parse_bad);
	g_test_add_func("/link/connect/ready-and-mtu", test_ready_and_mtu);
	g_test_add_func("/link/ctrl/round-trip", test_ctrl_round_trip);
	g_test_add_func("/link/ctrl/needs-cccd", test_ctrl_needs_cccd);
	g_test_add_func("/link/data/throughput-and-back-pressure",
			test_throughput_and_back_pressure);
	g_test_add_func("/link/data/transfer", test_data_transfer);
	g_test_add_func("/link/disconnect/host", test_host_disconnect);
	g_test_add_func("/link/buttonless", test_buttonless);
	g_test_add_func("/link/fault/disconnect-at-byte", test_fault_disconnect_at_byte);
	g_test_add_func("/link/fault/disconnect-at-init", test_fault_disconnect_at_init);
	g_test_add_func("/link/fault/drop-packet", test_fault_drop_packet);
	g_test_add_func("/link/fault/corrupt-byte", test_fault_corrupt_byte);
	g_test_add_func("/link/fault/lose-notification", test_fault_lose_notification);
	g_test_add_func("/link/fault/disconnect-before-final-execute", test_fault_final_execute);
	return g_test_run();
}
