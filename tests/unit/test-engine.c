/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The engine against scripted targets: each test is a table of the exact Control Point and
 * Packet writes expected from the engine and the notifications the "target" answers with
 * (PROTOCOL.md §3.4 sequence, §3.5 resume cases, errors, junk, timeouts, back-pressure). */
#include <string.h>
#include <zlib.h>

#include "bluedfu/bdfu-error.h"
#include "core/bdfu-engine.h"
#include "core/bdfu-proto.h"

/* the script ------------------------------------------------------------------------------- */

typedef enum {
	TX_CTRL,  /* the engine writes these bytes to the Control Point */
	TX_INIT,  /* Packet writes covering init[from..to) in chunks of `chunk` */
	TX_FW,	  /* Packet writes covering firmware[from..to) in chunks of `chunk` */
	TX_FULL,  /* the next Packet write is refused: the transport is full */
	TX_ERROR, /* the next write fails: the link is gone */
	DO_START, /* actions the owner takes; each checks the returned status */
	DO_FEED,
	DO_TIMEOUT,
	DO_WRITABLE,
	DO_LINK_LOST,
	DO_CANCEL,
} StepKind;

typedef struct {
	StepKind kind;
	guint8 bytes[20];
	gsize len;
	gsize from;
	gsize to;
	gsize chunk;
	BdfuEngineStatus status;
	gint code;
	const gchar *needle;
} Step;

typedef struct {
	GArray *steps;
	guint pos;
	gsize data_pos;
	GBytes *init;
	GBytes *fw;
	BdfuEngine *engine;
	GPtrArray *events; /* "RESUMED 5000 message" */
	guint64 last_progress;
	guint n_progress;
} Fake;

static Step *
step_add(Fake *fake, StepKind kind)
{
	Step step = {.kind = kind, .status = BDFU_ENGINE_STATUS_CONTINUE};
	g_array_append_val(fake->steps, step);
	return &g_array_index(fake->steps, Step, fake->steps->len - 1);
}

static void
put_u32(guint8 *p, guint32 v)
{
	p[0] = (guint8)v;
	p[1] = (guint8)(v >> 8);
	p[2] = (guint8)(v >> 16);
	p[3] = (guint8)(v >> 24);
}

static void
parse_hex(Step *step, const gchar *hex)
{
	g_auto(GStrv) parts = g_strsplit(hex, " ", -1);
	step->len = 0;
	for (guint i = 0; parts[i] != NULL; i++) {
		if (*parts[i] == '\0')
			continue;
		g_assert_cmpuint(step->len, <, sizeof(step->bytes));
		step->bytes[step->len++] = (guint8)g_ascii_strtoull(parts[i], NULL, 16);
	}
}

static void
s_ctrl(Fake *fake, const gchar *hex)
{
	parse_hex(step_add(fake, TX_CTRL), hex);
}

static void
s_create(Fake *fake, guint8 type, guint32 size)
{
	Step *step = step_add(fake, TX_CTRL);
	step->bytes[0] = 0x01;
	step->bytes[1] = type;
	put_u32(step->bytes + 2, size);
	step->len = 6;
}

static Step *
s_rx(Fake *fake, const gchar *hex)
{
	Step *step = step_add(fake, DO_FEED);
	parse_hex(step, hex);
	return step;
}

static Step *
s_rx_select(Fake *fake, guint32 max, guint32 off, guint32 crc)
{
	Step *step = step_add(fake, DO_FEED);
	step->bytes[0] = 0x60;
	step->bytes[1] = 0x06;
	step->bytes[2] = 0x01;
	put_u32(step->bytes + 3, max);
	put_u32(step->bytes + 7, off);
	put_u32(step->bytes + 11, crc);
	step->len = 15;
	return step;
}

static Step *
s_rx_crc(Fake *fake, guint32 off, guint32 crc)
{
	Step *step = step_add(fake, DO_FEED);
	step->bytes[0] = 0x60;
	step->bytes[1] = 0x03;
	step->bytes[2] = 0x01;
	put_u32(step->bytes + 3, off);
	put_u32(step->bytes + 7, crc);
	step->len = 11;
	return step;
}

static void
s_data(Fake *fake, StepKind kind, gsize from, gsize to, gsize chunk)
{
	Step *step = step_add(fake, kind);
	step->from = from;
	step->to = to;
	step->chunk = chunk;
}

static Step *
s_do(Fake *fake, StepKind kind)
{
	return step_add(fake, kind);
}

static void
expect_failed(Step *step, gint code, const gchar *needle)
{
	step->status = BDFU_ENGINE_STATUS_FAILED;
	step->code = code;
	step->needle = needle;
}

static guint32
crc_of(GBytes *bytes, gsize len)
{
	return (guint32)crc32(0, g_bytes_get_data(bytes, NULL), (uInt)len);
}

/* the fake transport ------------------------------------------------------------------------ */

static gchar *
hex_of(const guint8 *buf, gsize len)
{
	GString *str = g_string_new(NULL);
	for (gsize i = 0; i < len; i++)
		g_string_append_printf(str, "%s%02X", i > 0 ? " " : "", buf[i]);
	return g_string_free(str, FALSE);
}

static Step *
fake_next(Fake *fake, const gchar *what)
{
	if (fake->pos >= fake->steps->len)
		g_error("the engine wrote %s after the end of the script", what);
	return &g_array_index(fake->steps, Step, fake->pos);
}

static gboolean
fake_write_ctrl(gpointer user_data, const guint8 *buf, gsize len, GError **error)
{
	Fake *fake = user_data;
	g_autofree gchar *got = hex_of(buf, len);
	Step *step = fake_next(fake, got);

	if (step->kind == TX_ERROR) {
		fake->pos++;
		g_set_error_literal(error, BDFU_ERROR, BDFU_ERROR_CONNECTION_FAILED, "link gone");
		return FALSE;
	}
	if (step->kind != TX_CTRL)
		g_error("step %u: expected step kind %d, the engine wrote CP %s",
			fake->pos,
			step->kind,
			got);
	if (step->len != len || memcmp(step->bytes, buf, len) != 0) {
		g_autofree gchar *want = hex_of(step->bytes, step->len);
		g_error("step %u: expected CP %s, the engine wrote %s", fake->pos, want, got);
	}
	fake->pos++;
	return TRUE;
}

static gboolean
fake_write_data(gpointer user_data, const guint8 *buf, gsize len, GError **error)
{
	Fake *fake = user_data;
	Step *step = fake_next(fake, "a Packet");
	GBytes *src;
	gsize want;

	if (step->kind == TX_FULL) {
		fake->pos++;
		return FALSE;
	}
	if (step->kind == TX_ERROR) {
		fake->pos++;
		g_set_error_literal(error, BDFU_ERROR, BDFU_ERROR_CONNECTION_FAILED, "link gone");
		return FALSE;
	}
	if (step->kind != TX_INIT && step->kind != TX_FW)
		g_error("step %u: expected step kind %d, the engine wrote %" G_GSIZE_FORMAT
			" bytes to the Packet",
			fake->pos,
			step->kind,
			len);
	src = step->kind == TX_INIT ? fake->init : fake->fw;
	if (fake->data_pos < step->from)
		fake->data_pos = step->from;
	want = MIN(step->chunk, step->to - fake->data_pos);
	if (len != want)
		g_error("step %u: expected a %" G_GSIZE_FORMAT "-byte Packet at %" G_GSIZE_FORMAT
			", got %" G_GSIZE_FORMAT,
			fake->pos,
			want,
			fake->data_pos,
			len);
	g_assert_true(
	    memcmp(buf, (const guint8 *)g_bytes_get_data(src, NULL) + fake->data_pos, len) == 0);
	fake->data_pos += len;
	if (fake->data_pos == step->to) {
		fake->data_pos = 0;
		fake->pos++;
	}
	return TRUE;
}

static const BdfuEngineTransport fake_transport = {
    .write_ctrl = fake_write_ctrl,
    .write_data = fake_write_data,
};

static void
fake_event(const BdfuEngineEvent *event, gpointer user_data)
{
	Fake *fake = user_data;
	static const gchar *names[] = {"LOG", "PROGRESS", "RESUMED", "RETRY", "INIT_DONE"};

	g_assert_cmpuint(event->total, ==, g_bytes_get_size(fake->fw));
	if (event->kind == BDFU_ENGINE_EVENT_PROGRESS) {
		fake->last_progress = event->offset;
		fake->n_progress++;
		return;
	}
	if (event->kind == BDFU_ENGINE_EVENT_LOG) {
		g_assert_nonnull(event->message);
		g_test_message("step %u: %s", fake->pos, event->message);
		return;
	}
	g_ptr_array_add(fake->events,
			g_strdup_printf("%s %" G_GUINT64_FORMAT " %s",
					names[event->kind],
					event->offset,
					event->message != NULL ? event->message : ""));
}

static GBytes *
make_bytes(gsize len, guint seed)
{
	guint8 *buf = g_malloc(len);
	for (gsize i = 0; i < len; i++)
		buf[i] = (guint8)((i * 31 + seed) ^ (i >> 7));
	return g_bytes_new_take(buf, len);
}

static Fake *
fake_new(gsize init_len, gsize fw_len)
{
	Fake *fake = g_new0(Fake, 1);
	fake->steps = g_array_new(FALSE, TRUE, sizeof(Step));
	fake->events = g_ptr_array_new_with_free_func(g_free);
	fake->init = make_bytes(init_len, 3);
	fake->fw = make_bytes(fw_len, 7);
	fake->engine = bdfu_engine_new(&fake_transport, fake_event, fake);
	bdfu_engine_set_image(fake->engine, fake->init, fake->fw);
	return fake;
}

static void
fake_free(Fake *fake)
{
	bdfu_engine_free(fake->engine);
	g_bytes_unref(fake->init);
	g_bytes_unref(fake->fw);
	g_array_unref(fake->steps);
	g_ptr_array_unref(fake->events);
	g_free(fake);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Fake, fake_free)

static void
fake_options(Fake *fake, guint16 prn, gsize chunk, gboolean resume)
{
	BdfuEngineOptions options;
	bdfu_engine_options_init(&options);
	options.prn = prn;
	options.resume = resume;
	bdfu_engine_set_options(fake->engine, &options);
	bdfu_engine_set_chunk_size(fake->engine, chunk);
}

/* plays the script; every write must match and every status must be the expected one */
static void
fake_run(Fake *fake)
{
	while (fake->pos < fake->steps->len) {
		guint here = fake->pos;
		Step *step = &g_array_index(fake->steps, Step, here);
		g_autoptr(GError) error = NULL;
		BdfuEngineStatus status;

		fake->pos++;
		switch (step->kind) {
		case DO_START:
			status = bdfu_engine_start(fake->engine, &error);
			break;
		case DO_FEED:
			status = bdfu_engine_feed(fake->engine, step->bytes, step->len, &error);
			break;
		case DO_TIMEOUT:
			status = bdfu_engine_timeout(fake->engine, &error);
			break;
		case DO_WRITABLE:
			status = bdfu_engine_writable(fake->engine, &error);
			break;
		case DO_LINK_LOST:
			bdfu_engine_link_lost(fake->engine);
			continue;
		case DO_CANCEL:
			bdfu_engine_cancel(fake->engine);
			continue;
		default:
			g_error(
			    "step %u (kind %d): the engine did not write what the script expects",
			    here,
			    step->kind);
		}
		/* anything still expected from this action must have been written by now */
		step = &g_array_index(fake->steps, Step, here);
		if (status == BDFU_ENGINE_STATUS_FAILED &&
		    step->status != BDFU_ENGINE_STATUS_FAILED)
			g_error("step %u: unexpected failure: %s", here, error->message);
		g_assert_cmpint(status, ==, step->status);
		if (status == BDFU_ENGINE_STATUS_FAILED) {
			g_test_message("step %u: %s", here, error->message);
			g_assert_error(error, BDFU_ERROR, step->code);
			if (step->needle != NULL && strstr(error->message, step->needle) == NULL)
				g_error("step %u: '%s' does not mention '%s'",
					here,
					error->message,
					step->needle);
		} else {
			g_assert_no_error(error);
		}
		/* a pause the engine asked for is the owner's timer: it fires, and is recorded */
		while (status == BDFU_ENGINE_STATUS_CONTINUE &&
		       bdfu_engine_get_wait_ms(fake->engine) != 0) {
			g_autofree gchar *pause = g_strdup_printf(
			    "PAUSE %u", bdfu_engine_get_wait_ms(fake->engine));
			g_assert_true(bdfu_engine_is_awaiting_response(fake->engine));
			g_ptr_array_add(fake->events, g_steal_pointer(&pause));
			status = bdfu_engine_timeout(fake->engine, &error);
			g_assert_no_error(error);
		}
		if (status == BDFU_ENGINE_STATUS_CONTINUE && fake->pos < fake->steps->len) {
			StepKind next = g_array_index(fake->steps, Step, fake->pos).kind;
			if (next == TX_CTRL || next == TX_INIT || next == TX_FW ||
			    next == TX_FULL || next == TX_ERROR)
				g_error("step %u: the engine stopped before writing step %u",
					here,
					fake->pos);
		}
	}
}

static gboolean
has_event(Fake *fake, const gchar *prefix, const gchar *needle)
{
	for (guint i = 0; i < fake->events->len; i++) {
		const gchar *ev = g_ptr_array_index(fake->events, i);
		if (g_str_has_prefix(ev, prefix) && (needle == NULL || strstr(ev, needle) != NULL))
			return TRUE;
	}
	return FALSE;
}

static void
assert_event(Fake *fake, const gchar *prefix, const gchar *needle)
{
	if (!has_event(fake, prefix, needle)) {
		for (guint i = 0; i < fake->events->len; i++)
			g_test_message("event: %s",
				       (const gchar *)g_ptr_array_index(fake->events, i));
		g_error("no event '%s' containing '%s'", prefix, needle != NULL ? needle : "");
	}
}

/* script building blocks --------------------------------------------------------------------- */

#define INIT_LEN 141
#define FW_LEN 10000 /* two 4096-byte objects and one of 1808 */

static Step *
s_ok(Fake *fake, guint8 opcode)
{
	Step *step = step_add(fake, DO_FEED);
	step->bytes[0] = 0x60;
	step->bytes[1] = opcode;
	step->bytes[2] = 0x01;
	step->len = 3;
	return step;
}

/* Select command on a device that holds nothing, PRN off, Create, write, checksum, Execute */
static void
s_init_fresh(Fake *fake, gsize chunk)
{
	gsize len = g_bytes_get_size(fake->init);
	s_do(fake, DO_START);
	s_ctrl(fake, "06 01");
	s_rx_select(fake, 512, 0, 0);
	s_ctrl(fake, "02 00 00");
	s_ok(fake, 0x02);
	s_create(fake, 1, (guint32)len);
	s_ok(fake, 0x01);
	s_data(fake, TX_INIT, 0, len, chunk);
	s_ctrl(fake, "03");
	s_rx_crc(fake, (guint32)len, crc_of(fake->init, len));
	s_ctrl(fake, "04");
	s_ok(fake, 0x04);
}

/* firmware[from..to) streamed with a receipt after every prn-th packet (the last one included)
 * counted from `from` */
static void
s_stream(Fake *fake, gsize from, gsize to, gsize chunk, guint prn)
{
	gsize pos = from;
	while (pos < to) {
		gsize window = prn != 0 ? MIN(to, pos + prn * chunk) : to;
		s_data(fake, TX_FW, pos, window, chunk);
		if (prn != 0 && (window - pos + chunk - 1) / chunk == prn)
			s_rx_crc(fake, (guint32)window, crc_of(fake->fw, window));
		pos = window;
	}
}

/* one data object, PRN every `prn` packets; the last Execute is DONE */
static void
s_object(Fake *fake, gsize start, gsize end, gsize chunk, guint prn)
{
	s_create(fake, 2, (guint32)(end - start));
	s_ok(fake, 0x01);
	s_stream(fake, start, end, chunk, prn);
	s_ctrl(fake, "03");
	s_rx_crc(fake, (guint32)end, crc_of(fake->fw, end));
	s_ctrl(fake, "04");
	if (end == g_bytes_get_size(fake->fw))
		s_ok(fake, 0x04)->status = BDFU_ENGINE_STATUS_DONE;
	else
		s_ok(fake, 0x04);
}

static void
s_objects_from(Fake *fake, gsize start, gsize chunk, guint prn)
{
	gsize size = g_bytes_get_size(fake->fw);
	for (gsize pos = start; pos < size; pos += 4096)
		s_object(fake, pos, MIN(pos + 4096, size), chunk, prn);
}

static void
s_set_prn(Fake *fake, guint prn)
{
	Step *step = step_add(fake, TX_CTRL);
	step->bytes[0] = 0x02;
	step->bytes[1] = (guint8)prn;
	step->bytes[2] = (guint8)(prn >> 8);
	step->len = 3;
	s_ok(fake, 0x02);
}

/* an object after garbled data: PRN 1 for the first 16 packets after Create, then `prn`
 * (`always`: PRN 1 throughout); *target_prn tracks what the target was last told */
static void
s_careful_object(Fake *fake,
		 gsize start,
		 gsize end,
		 gsize chunk,
		 guint prn,
		 gboolean always,
		 guint *target_prn,
		 guint32 crc_answer)
{
	gsize slow = always ? end : MIN(end, start + 16 * chunk);
	if (*target_prn != 1) {
		s_set_prn(fake, 1);
		*target_prn = 1;
	}
	s_create(fake, 2, (guint32)(end - start));
	s_ok(fake, 0x01);
	s_stream(fake, start, slow, chunk, 1);
	if (slow < end) {
		if (prn != 1) {
			s_set_prn(fake, prn);
			*target_prn = prn;
		}
		s_stream(fake, slow, end, chunk, prn);
	}
	s_ctrl(fake, "03");
	if (crc_answer != 0) {
		s_rx_crc(fake, (guint32)end, crc_answer);
		return;
	}
	s_rx_crc(fake, (guint32)end, crc_of(fake->fw, end));
	s_ctrl(fake, "04");
	if (end == g_bytes_get_size(fake->fw))
		s_ok(fake, 0x04)->status = BDFU_ENGINE_STATUS_DONE;
	else
		s_ok(fake, 0x04);
}

static void
s_careful_from(Fake *fake, gsize start, gsize chunk, guint prn, gboolean always, guint *target_prn)
{
	gsize size = g_bytes_get_size(fake->fw);
	for (gsize pos = start; pos < size; pos += 4096)
		s_careful_object(
		    fake, pos, MIN(pos + 4096, size), chunk, prn, always, target_prn, 0);
}

/* init resumed fully: Execute only, PRN state unknown so it is set, then Select data */
static void
s_init_resumed(Fake *fake, guint16 prn)
{
	gsize len = g_bytes_get_size(fake->init);
	s_do(fake, DO_START);
	s_ctrl(fake, "06 01");
	s_rx_select(fake, 512, (guint32)len, crc_of(fake->init, len));
	s_ctrl(fake, "04");
	s_ok(fake, 0x04);
	if (prn == 0)
		s_ctrl(fake, "02 00 00");
	else
		s_ctrl(fake, "02 0C 00");
	s_ok(fake, 0x02);
	s_ctrl(fake, "06 02");
}

/* fresh transfers ------------------------------------------------------------------------------ */

static void
run_fresh(gsize fw_len, gsize set_chunk, gsize chunk, guint16 prn)
{
	g_autoptr(Fake) fake = fake_new(INIT_LEN, fw_len);
	fake_options(fake, prn, set_chunk, TRUE);
	s_init_fresh(fake, chunk);
	if (prn != 0) {
		Step *step = step_add(fake, TX_CTRL);
		step->bytes[0] = 0x02;
		step->bytes[1] = (guint8)prn;
		step->bytes[2] = (guint8)(prn >> 8);
		step->len = 3;
		s_ok(fake, 0x02);
	}
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_objects_from(fake, 0, chunk, prn);
	fake_run(fake);
	g_assert_cmpuint(bdfu_engine_get_verified_offset(fake->engine), ==, fw_len);
	g_assert_cmpuint(fake->last_progress, ==, fw_len);
	g_assert_false(bdfu_engine_is_awaiting_response(fake->engine));
	g_assert_false(bdfu_engine_final_execute_pending(fake->engine));
	g_assert_true(has_event(fake, "INIT_DONE", NULL));
	g_assert_false(has_event(fake, "RESUMED", NULL));
	g_assert_false(has_event(fake, "RETRY", NULL));
	g_assert_cmpuint(bdfu_engine_get_total(fake->engine), ==, fw_len);
}

static void
test_fresh_mtu23(void)
{
	g_autoptr(Fake) fake = NULL;
	run_fresh(FW_LEN, 20, 20, 0);
	/* counters: 141 init bytes in 8 packets; objects of 4096, 4096, 1808 in 205, 205, 91 */
	fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 20, TRUE);
	s_init_fresh(fake, 20);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_objects_from(fake, 0, 20, 0);
	fake_run(fake);
	g_assert_cmpuint(bdfu_engine_get_data_writes(fake->engine), ==, 8 + 205 + 205 + 91);
	/* Select, PRN, Create, CRC, Execute + Select data + 3 x (Create, CRC, Execute) */
	g_assert_cmpuint(bdfu_engine_get_ctrl_writes(fake->engine), ==, 6 + 9);
}

static void
test_fresh_mtu247(void)
{
	run_fresh(FW_LEN, 244, 244, 0);
}

static void
test_fresh_chunk_rounded(void)
{
	/* an MTU of 185 gives 182 payload bytes: writes are cut at 180 */
	run_fresh(FW_LEN, 182, 180, 0);
	run_fresh(FW_LEN, 23, 20, 0);
}

static void
test_fresh_odd_image(void)
{
	/* an image not a multiple of 4 ends with a short write */
	run_fresh(8194, 244, 244, 0);
}

static void
test_fresh_prn(void)
{
	run_fresh(FW_LEN, 244, 244, 12);
	run_fresh(FW_LEN, 20, 20, 12);
	run_fresh(FW_LEN, 244, 244, 1);
}

/* §3.4 init packet cases ---------------------------------------------------------------------- */

static void
test_init_resume_full(void)
{
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	s_init_resumed(fake, 0);
	s_rx_select(fake, 4096, 0, 0);
	s_objects_from(fake, 0, 244, 0);
	fake_run(fake);
	g_assert_true(has_event(fake, "INIT_DONE", NULL));
}

static void
test_init_resume_partial(void)
{
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 20, TRUE);
	s_do(fake, DO_START);
	s_ctrl(fake, "06 01");
	s_rx_select(fake, 512, 60, crc_of(fake->init, 60));
	s_ctrl(fake, "02 00 00");
	s_ok(fake, 0x02);
	s_data(fake, TX_INIT, 60, INIT_LEN, 20);
	s_ctrl(fake, "03");
	s_rx_crc(fake, INIT_LEN, crc_of(fake->init, INIT_LEN));
	s_ctrl(fake, "04");
	s_ok(fake, 0x04);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_objects_from(fake, 0, 20, 0);
	fake_run(fake);
}

static void
test_init_other_packet(void)
{
	/* the device holds a different init packet: it is replaced, never executed */
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	Step *select;
	fake_options(fake, 0, 244, TRUE);
	s_init_fresh(fake, 244);
	select = &g_array_index(fake->steps, Step, 2);
	put_u32(select->bytes + 7, INIT_LEN);
	put_u32(select->bytes + 11, 0x12345678);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_objects_from(fake, 0, 244, 0);
	fake_run(fake);
}

static void
test_init_no_resume(void)
{
	/* --no-resume: even the same init packet is created again (which resets the data) */
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	Step *select;
	fake_options(fake, 0, 244, FALSE);
	s_init_fresh(fake, 244);
	select = &g_array_index(fake->steps, Step, 2);
	put_u32(select->bytes + 7, INIT_LEN);
	put_u32(select->bytes + 11, crc_of(fake->init, INIT_LEN));
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_objects_from(fake, 0, 244, 0);
	fake_run(fake);
}

static void
test_init_crc_mismatch(void)
{
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	s_do(fake, DO_START);
	s_ctrl(fake, "06 01");
	s_rx_select(fake, 512, 0, 0);
	s_ctrl(fake, "02 00 00");
	s_ok(fake, 0x02);
	s_create(fake, 1, INIT_LEN);
	s_ok(fake, 0x01);
	s_data(fake, TX_INIT, 0, INIT_LEN, 244);
	s_ctrl(fake, "03");
	s_rx_crc(fake, INIT_LEN, 0xDEADBEEF);
	s_create(fake, 1, INIT_LEN);
	s_ok(fake, 0x01);
	s_data(fake, TX_INIT, 0, INIT_LEN, 244);
	s_ctrl(fake, "03");
	s_rx_crc(fake, INIT_LEN, crc_of(fake->init, INIT_LEN));
	s_ctrl(fake, "04");
	s_ok(fake, 0x04);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_objects_from(fake, 0, 244, 0);
	fake_run(fake);
}

/* §3.5 resume cases ------------------------------------------------------------------------- */

static void
test_resume_mid_object(void)
{
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	s_init_resumed(fake, 0);
	s_rx_select(fake, 4096, 5000, crc_of(fake->fw, 5000));
	/* no Create: the rest of object 2 from 5000 */
	s_data(fake, TX_FW, 5000, 8192, 244);
	s_ctrl(fake, "03");
	s_rx_crc(fake, 8192, crc_of(fake->fw, 8192));
	s_ctrl(fake, "04");
	s_ok(fake, 0x04);
	s_objects_from(fake, 8192, 244, 0);
	fake_run(fake);
	assert_event(fake, "RESUMED 5000", "resuming at 5000 of 10000 (device kept 1 object)");
}

static void
test_resume_mid_object_prn(void)
{
	/* PRN counting restarts at the resume point: the target was just told Set PRN */
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 12, 244, TRUE);
	s_init_resumed(fake, 12);
	s_rx_select(fake, 4096, 5000, crc_of(fake->fw, 5000));
	s_data(fake, TX_FW, 5000, 5000 + 12 * 244, 244);
	s_rx_crc(fake, 5000 + 12 * 244, crc_of(fake->fw, 5000 + 12 * 244));
	s_data(fake, TX_FW, 5000 + 12 * 244, 8192, 244);
	s_ctrl(fake, "03");
	s_rx_crc(fake, 8192, crc_of(fake->fw, 8192));
	s_ctrl(fake, "04");
	s_ok(fake, 0x04);
	s_objects_from(fake, 8192, 244, 12);
	fake_run(fake);
}

static void
run_resume_boundary(const gchar *answer)
{
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	s_init_resumed(fake, 0);
	s_rx_select(fake, 4096, 8192, crc_of(fake->fw, 8192));
	s_ctrl(fake, "04");
	s_rx(fake, answer);
	s_objects_from(fake, 8192, 244, 0);
	fake_run(fake);
	assert_event(fake, "RESUMED 8192", "resuming at 8192 of 10000 (device kept 2 objects)");
}

static void
test_resume_boundary(void)
{
	/* fully received but not executed: Execute succeeds */
	run_resume_boundary("60 04 01");
	/* already executed, or the next object created but empty: 0x08 is fine (§3.5) */
	run_resume_boundary("60 04 08");
}

static void
test_resume_whole_image(void)
{
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	s_init_resumed(fake, 0);
	s_rx_select(fake, 4096, FW_LEN, crc_of(fake->fw, FW_LEN));
	s_ctrl(fake, "04");
	s_ok(fake, 0x04)->status = BDFU_ENGINE_STATUS_DONE;
	fake_run(fake);
	assert_event(fake, "RESUMED 10000", "whole image");
	g_assert_cmpuint(bdfu_engine_get_verified_offset(fake->engine), ==, FW_LEN);
}

static void
test_resume_whole_image_refused(void)
{
	/* the re-execute case: 0x08 for a "complete" image; the last object is sent again and
	 * executed after our own checksum */
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	s_init_resumed(fake, 0);
	s_rx_select(fake, 4096, FW_LEN, crc_of(fake->fw, FW_LEN));
	s_ctrl(fake, "04");
	s_rx(fake, "60 04 08");
	s_object(fake, 8192, FW_LEN, 244, 0);
	fake_run(fake);
	assert_event(fake, "RETRY 8192", "object 3/3");
}

static void
run_resume_mismatch(guint32 off, gsize back_to)
{
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	s_init_resumed(fake, 0);
	s_rx_select(fake, 4096, off, crc_of(fake->fw, off) ^ 1);
	s_objects_from(fake, back_to, 244, 0);
	fake_run(fake);
	g_assert_true(has_event(fake, "RESUMED", "do not match"));
}

static void
test_resume_mismatch(void)
{
	/* mid object: only that object is created again */
	run_resume_mismatch(5000, 4096);
	/* on a boundary the last object cannot have been executed: back one object */
	run_resume_mismatch(8192, 4096);
	/* the whole image with a bad CRC: the last (short) object again */
	run_resume_mismatch(FW_LEN, 8192);
	run_resume_mismatch(3000, 0);
}

static void
test_resume_reconnect_kept(void)
{
	/* SDK 15.x keeps the current object across a disconnect */
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	s_init_fresh(fake, 244);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_object(fake, 0, 4096, 244, 0);
	s_create(fake, 2, 4096);
	s_ok(fake, 0x01);
	s_data(fake, TX_FW, 4096, 4096 + 5 * 244, 244);
	s_do(fake, TX_FULL);
	s_do(fake, DO_TIMEOUT); /* nothing awaited while blocked without PRN: ignored */
	s_do(fake, DO_LINK_LOST);
	s_init_resumed(fake, 0);
	s_rx_select(fake, 4096, 4096 + 3 * 244, crc_of(fake->fw, 4096 + 3 * 244));
	s_data(fake, TX_FW, 4096 + 3 * 244, 8192, 244);
	s_ctrl(fake, "03");
	s_rx_crc(fake, 8192, crc_of(fake->fw, 8192));
	s_ctrl(fake, "04");
	s_ok(fake, 0x04);
	s_objects_from(fake, 8192, 244, 0);
	fake_run(fake);
	assert_event(fake, "RESUMED 4828", "resuming at 4828 of 10000 (device kept 1 object)");
}

static void
test_resume_reconnect_lost(void)
{
	/* SDK 16+ reloads progress from flash: Select data says 0 after verified bytes */
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	s_init_fresh(fake, 244);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_object(fake, 0, 4096, 244, 0);
	s_create(fake, 2, 4096);
	s_do(fake, DO_LINK_LOST);
	s_init_resumed(fake, 0);
	s_rx_select(fake, 4096, 0, 0);
	s_objects_from(fake, 0, 244, 0);
	fake_run(fake);
	assert_event(fake, "RESUMED 0", "kept no firmware data");
}

static void
test_resume_reconnect_during_init(void)
{
	/* a loss before any firmware was confirmed: the restart at 0 is still announced */
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	s_do(fake, DO_START);
	s_ctrl(fake, "06 01");
	s_rx_select(fake, 512, 0, 0);
	s_ctrl(fake, "02 00 00");
	s_ok(fake, 0x02);
	s_create(fake, 1, INIT_LEN);
	s_do(fake, DO_LINK_LOST);
	s_init_fresh(fake, 244);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_objects_from(fake, 0, 244, 0);
	fake_run(fake);
	assert_event(fake, "RESUMED 0", "reconnected before any firmware was confirmed");
}

/* CRC mismatch and lost bytes inside a transfer ---------------------------------------------- */

static void
test_object_crc_mismatch(void)
{
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	guint target_prn = 0;
	fake_options(fake, 0, 20, TRUE);
	s_init_fresh(fake, 20);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_object(fake, 0, 4096, 20, 0);
	s_create(fake, 2, 4096);
	s_ok(fake, 0x01);
	s_data(fake, TX_FW, 4096, 8192, 20);
	s_ctrl(fake, "03");
	s_rx_crc(fake, 8192, crc_of(fake->fw, 8192) ^ 0x80);
	/* only object 2 again, and the same PRN: the pause after Create is enough */
	s_objects_from(fake, 4096, 20, 0);
	(void)target_prn;
	fake_run(fake);
	assert_event(fake, "RETRY 4096", "object 2/3 failed its checksum");
	/* and a pause after each Create from then on, while the device erases the page */
	assert_event(fake, "PAUSE 100", NULL);
	g_assert_false(has_event(fake, "PAUSE 200", NULL));
}

static void
test_object_crc_twice(void)
{
	/* garbled again despite the pause after Create: one receipt per packet for the first
	 * packets of each object, and after every packet once that fails too */
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	guint target_prn = 12;
	fake_options(fake, 12, 20, TRUE);
	s_init_fresh(fake, 20);
	s_set_prn(fake, 12);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_create(fake, 2, 4096);
	s_ok(fake, 0x01);
	s_stream(fake, 0, 4096, 20, 12);
	s_ctrl(fake, "03");
	s_rx_crc(fake, 4096, 0x1234);
	s_create(fake, 2, 4096);
	s_ok(fake, 0x01);
	s_stream(fake, 0, 4096, 20, 12);
	s_ctrl(fake, "03");
	s_rx_crc(fake, 4096, 0x2345);
	s_careful_object(fake, 0, 4096, 20, 12, FALSE, &target_prn, 0x4321);
	s_careful_from(fake, 0, 20, 12, TRUE, &target_prn);
	fake_run(fake);
	/* every loss doubles the pause after Create */
	assert_event(fake, "PAUSE 100", NULL);
	assert_event(fake, "PAUSE 200", NULL);
	assert_event(fake, "PAUSE 400", NULL);
}

static void
test_object_crc_gives_up(void)
{
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	guint target_prn = 0;
	Step *last;
	fake_options(fake, 0, 244, TRUE);
	s_init_fresh(fake, 244);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_object(fake, 0, 4096, 244, 0);
	s_create(fake, 2, 4096);
	s_ok(fake, 0x01);
	s_data(fake, TX_FW, 4096, 8192, 244);
	s_ctrl(fake, "03");
	s_rx_crc(fake, 8192, 0x11111111);
	/* receipts match, but the final checksum does not: a pause, then ever more care */
	s_create(fake, 2, 4096);
	s_ok(fake, 0x01);
	s_data(fake, TX_FW, 4096, 8192, 244);
	s_ctrl(fake, "03");
	s_rx_crc(fake, 8192, 0x11111111);
	s_careful_object(fake, 4096, 8192, 244, 0, FALSE, &target_prn, 0x11111111);
	s_careful_object(fake, 4096, 8192, 244, 0, TRUE, &target_prn, 0x11111111);
	/* then paced: a pause after every receipt, twice */
	s_careful_object(fake, 4096, 8192, 244, 0, TRUE, &target_prn, 0x11111111);
	s_careful_object(fake, 4096, 8192, 244, 0, TRUE, &target_prn, 0x11111111);
	last = &g_array_index(fake->steps, Step, fake->steps->len - 1);
	expect_failed(last, BDFU_ERROR_TRANSFER_FAILED, "object 2/3 (bytes 4096-8191)");
	fake_run(fake);
	g_assert_cmpuint(bdfu_engine_get_verified_offset(fake->engine), ==, 4096);
	/* 244-byte packets: 61 flash words, three times 41 us each, rounded up */
	assert_event(fake, "PAUSE 8", NULL);
}

static void
test_object_tail_lost(void)
{
	/* the last packet never arrived (no PRN): resend from where the device is */
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	s_init_fresh(fake, 244);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_create(fake, 2, 4096);
	s_ok(fake, 0x01);
	s_data(fake, TX_FW, 0, 4096, 244);
	s_ctrl(fake, "03");
	s_rx_crc(fake, 3904, crc_of(fake->fw, 3904));
	s_data(fake, TX_FW, 3904, 4096, 244);
	s_ctrl(fake, "03");
	s_rx_crc(fake, 4096, crc_of(fake->fw, 4096));
	s_ctrl(fake, "04");
	s_ok(fake, 0x04);
	s_objects_from(fake, 4096, 244, 0);
	fake_run(fake);
}

static void
test_prn_mismatch(void)
{
	/* a PRN with offset 0 / CRC 0 (a counted-but-dropped packet): ask, continue from the
	 * device's offset */
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	guint target_prn = 4;
	fake_options(fake, 4, 244, TRUE);
	s_init_fresh(fake, 244);
	s_ctrl(fake, "02 04 00");
	s_ok(fake, 0x02);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_create(fake, 2, 4096);
	s_ok(fake, 0x01);
	s_data(fake, TX_FW, 0, 976, 244);
	s_rx(fake, "60 03 01 00 00 00 00 00 00 00 00");
	s_ctrl(fake, "03");
	s_rx_crc(fake, 732, crc_of(fake->fw, 732));
	/* the good prefix is kept; Set PRN again resets the target's receipt counter */
	s_ctrl(fake, "02 04 00");
	s_ok(fake, 0x02);
	s_stream(fake, 732, 732 + 4 * 244, 244, 4);
	/* a receipt whose CRC does not match: ask, then the object is created again, and
	 * each Create from now on is followed by a pause */
	s_data(fake, TX_FW, 732 + 4 * 244, 732 + 8 * 244, 244);
	s_rx_crc(fake, 732 + 8 * 244, 0x5555);
	s_ctrl(fake, "03");
	s_rx_crc(fake, 732 + 8 * 244, 0x5555);
	s_objects_from(fake, 0, 244, 4);
	(void)target_prn;
	fake_run(fake);
	assert_event(fake, "RETRY 0", "object 1/3");
}

static void
test_prn_rewind_progress(void)
{
	/* repeated flash-queue drops that each make progress do not use up the retries */
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 1, 244, TRUE);
	s_init_fresh(fake, 244);
	s_ctrl(fake, "02 01 00");
	s_ok(fake, 0x02);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_create(fake, 2, 4096);
	s_ok(fake, 0x01);
	for (gsize pos = 0; pos < 6 * 244; pos += 244) {
		s_stream(fake, pos, pos + 244, 244, 1);
		s_data(fake, TX_FW, pos + 244, pos + 488, 244);
		s_rx(fake, "60 03 01 00 00 00 00 00 00 00 00");
		s_ctrl(fake, "03");
		s_rx_crc(fake, (guint32)(pos + 244), crc_of(fake->fw, pos + 244));
	}
	s_stream(fake, 6 * 244, 4096, 244, 1);
	s_ctrl(fake, "03");
	s_rx_crc(fake, 4096, crc_of(fake->fw, 4096));
	s_ctrl(fake, "04");
	s_ok(fake, 0x04);
	s_objects_from(fake, 4096, 244, 1);
	fake_run(fake);
	g_assert_false(has_event(fake, "RETRY", NULL));
}

/* timeouts ---------------------------------------------------------------------------------- */

static void
test_timeout_prn_lost(void)
{
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 8, 244, TRUE);
	s_init_fresh(fake, 244);
	s_ctrl(fake, "02 08 00");
	s_ok(fake, 0x02);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_create(fake, 2, 4096);
	s_ok(fake, 0x01);
	s_data(fake, TX_FW, 0, 8 * 244, 244);
	/* the PRN never comes */
	s_do(fake, DO_TIMEOUT);
	s_ctrl(fake, "03");
	s_rx_crc(fake, 8 * 244, crc_of(fake->fw, 8 * 244));
	s_ctrl(fake, "02 08 00");
	s_ok(fake, 0x02);
	s_data(fake, TX_FW, 8 * 244, 16 * 244, 244);
	s_rx_crc(fake, 16 * 244, crc_of(fake->fw, 16 * 244));
	s_data(fake, TX_FW, 16 * 244, 4096, 244);
	s_ctrl(fake, "03");
	s_rx_crc(fake, 4096, crc_of(fake->fw, 4096));
	/* the late PRN after the checksum request is tolerated */
	s_ctrl(fake, "04");
	s_rx_crc(fake, 8 * 244, crc_of(fake->fw, 8 * 244));
	s_ok(fake, 0x04);
	s_objects_from(fake, 4096, 244, 8);
	fake_run(fake);
}

static void
test_timeout_prn_late_zero(void)
{
	/* the receipt that timed out arrives late as 0/0, before the checksum answer */
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 8, 244, TRUE);
	s_init_fresh(fake, 244);
	s_set_prn(fake, 8);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_object(fake, 0, 4096, 244, 8);
	s_create(fake, 2, 4096);
	s_ok(fake, 0x01);
	s_data(fake, TX_FW, 4096, 4096 + 8 * 244, 244);
	s_do(fake, DO_TIMEOUT);
	s_ctrl(fake, "03");
	s_rx(fake, "60 03 01 00 00 00 00 00 00 00 00");
	s_rx_crc(fake, 4096 + 8 * 244, crc_of(fake->fw, 4096 + 8 * 244));
	s_set_prn(fake, 8);
	s_stream(fake, 4096 + 8 * 244, 8192, 244, 8);
	s_ctrl(fake, "03");
	s_rx_crc(fake, 8192, crc_of(fake->fw, 8192));
	s_ctrl(fake, "04");
	s_ok(fake, 0x04);
	s_objects_from(fake, 8192, 244, 8);
	fake_run(fake);
}

static void
test_timeout_ctrl(void)
{
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	s_init_fresh(fake, 244);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_create(fake, 2, 4096);
	expect_failed(
	    s_do(fake, DO_TIMEOUT), BDFU_ERROR_TIMEOUT, "did not answer Create data 4096");
	fake_run(fake);
	g_assert_true(bdfu_engine_is_awaiting_response(fake->engine) == FALSE);
}

static void
test_timeout_final_execute(void)
{
	/* the final Execute stays pending: a disconnect now means the device is activating */
	g_autoptr(Fake) fake = fake_new(INIT_LEN, 4096);
	fake_options(fake, 0, 244, TRUE);
	s_init_fresh(fake, 244);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_create(fake, 2, 4096);
	s_ok(fake, 0x01);
	s_data(fake, TX_FW, 0, 4096, 244);
	s_ctrl(fake, "03");
	s_rx_crc(fake, 4096, crc_of(fake->fw, 4096));
	s_ctrl(fake, "04");
	fake_run(fake);
	g_assert_true(bdfu_engine_final_execute_pending(fake->engine));
	g_assert_true(bdfu_engine_is_awaiting_response(fake->engine));
	g_array_set_size(fake->steps, 0);
	fake->pos = 0;
	expect_failed(s_do(fake, DO_TIMEOUT), BDFU_ERROR_TIMEOUT, "Execute");
	fake_run(fake);
	g_assert_true(bdfu_engine_final_execute_pending(fake->engine));
	bdfu_engine_link_lost(fake->engine);
	g_assert_true(bdfu_engine_final_execute_pending(fake->engine));
}

/* errors ----------------------------------------------------------------------------------------
 */

static void
run_init_error(const gchar *answer, guint8 result, guint8 ext)
{
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	Step *step;
	fake_options(fake, 0, 244, TRUE);
	s_init_fresh(fake, 244);
	step = &g_array_index(fake->steps, Step, fake->steps->len - 1);
	parse_hex(step, answer);
	expect_failed(step,
		      bdfu_proto_result_to_error_code(0x04, result, ext),
		      bdfu_proto_result_to_string(result, ext));
	fake_run(fake);
	g_assert_false(has_event(fake, "INIT_DONE", NULL));
}

static void
test_errors_init_execute(void)
{
	static const guint8 results[] = {0x02, 0x03, 0x04, 0x05, 0x07, 0x08, 0x0A};
	static const guint8 exts[] = {0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0B, 0x0C, 0x0D};
	for (guint i = 0; i < G_N_ELEMENTS(results); i++) {
		g_autofree gchar *hex = g_strdup_printf("60 04 %02X", results[i]);
		run_init_error(hex, results[i], 0);
	}
	for (guint i = 0; i < G_N_ELEMENTS(exts); i++) {
		g_autofree gchar *hex = g_strdup_printf("60 04 0B %02X", exts[i]);
		run_init_error(hex, 0x0B, exts[i]);
	}
}

static void
test_errors_data(void)
{
	g_autoptr(Fake) fake = NULL;
	Step *step;

	/* Create data refused: the target's answer names the problem */
	fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	s_init_fresh(fake, 244);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_create(fake, 2, 4096);
	step = s_rx(fake, "60 01 04");
	expect_failed(
	    step, bdfu_proto_result_to_error_code(0x01, 0x04, 0), "INSUFFICIENT_RESOURCES");
	fake_run(fake);
	g_clear_pointer(&fake, fake_free);

	/* a PRN carrying a write error */
	fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 4, 244, TRUE);
	s_init_fresh(fake, 244);
	s_ctrl(fake, "02 04 00");
	s_ok(fake, 0x02);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_create(fake, 2, 4096);
	s_ok(fake, 0x01);
	s_data(fake, TX_FW, 0, 976, 244);
	step = s_rx(fake, "60 03 08");
	expect_failed(
	    step, bdfu_proto_result_to_error_code(0x03, 0x08, 0), "OPERATION_NOT_PERMITTED");
	fake_run(fake);
	g_clear_pointer(&fake, fake_free);

	/* the final Execute fails hash verification */
	fake = fake_new(INIT_LEN, 4096);
	fake_options(fake, 0, 244, TRUE);
	s_init_fresh(fake, 244);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_create(fake, 2, 4096);
	s_ok(fake, 0x01);
	s_data(fake, TX_FW, 0, 4096, 244);
	s_ctrl(fake, "03");
	s_rx_crc(fake, 4096, crc_of(fake->fw, 4096));
	s_ctrl(fake, "04");
	step = s_rx(fake, "60 04 0B 0C");
	expect_failed(
	    step, bdfu_proto_result_to_error_code(0x04, 0x0B, 0x0C), "VERIFICATION_FAILED");
	fake_run(fake);
	g_assert_false(bdfu_engine_final_execute_pending(fake->engine));
	/* a failed engine refuses to go on */
	{
		g_autoptr(GError) error = NULL;
		guint8 ok[] = {0x60, 0x04, 0x01};
		g_assert_cmpint(
		    bdfu_engine_feed(fake->engine, ok, 3, &error), ==, BDFU_ENGINE_STATUS_FAILED);
		g_assert_nonnull(error);
	}
}

/* junk ---------------------------------------------------------------------------------------- */

static void
run_junk(const gchar *junk, const gchar *needle)
{
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	s_do(fake, DO_START);
	s_ctrl(fake, "06 01");
	s_rx_select(fake, 512, 0, 0);
	s_ctrl(fake, "02 00 00");
	s_ok(fake, 0x02);
	s_create(fake, 1, INIT_LEN);
	expect_failed(s_rx(fake, junk), BDFU_ERROR_PROTOCOL, needle);
	fake_run(fake);
}

static void
test_junk(void)
{
	run_junk("61 01 01", "junk");
	run_junk("60 01", "junk");
	run_junk("60 01 01 00", "junk");
	/* an answer to a request that was not sent */
	run_junk("60 04 01", "unexpected answer to Execute while waiting for the answer to Create");
	run_junk("60 06 01 00 02 00 00 00 00 00 00 00 00 00 00", "unexpected answer to Select");
}

static void
test_junk_offsets(void)
{
	g_autoptr(Fake) fake = NULL;

	/* a checksum beyond what was sent */
	fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	s_init_fresh(fake, 244);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_create(fake, 2, 4096);
	s_ok(fake, 0x01);
	s_data(fake, TX_FW, 0, 4096, 244);
	s_ctrl(fake, "03");
	expect_failed(s_rx_crc(fake, 4100, 0), BDFU_ERROR_PROTOCOL, "offset 4100");
	fake_run(fake);
	g_clear_pointer(&fake, fake_free);

	/* Select data beyond the image */
	fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	s_init_resumed(fake, 0);
	expect_failed(s_rx_select(fake, 4096, 20000, 0), BDFU_ERROR_PROTOCOL, "beyond the image");
	fake_run(fake);
	g_clear_pointer(&fake, fake_free);

	/* Select data with a zero object size */
	fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	s_init_resumed(fake, 0);
	expect_failed(s_rx_select(fake, 0, 0, 0), BDFU_ERROR_PROTOCOL, "size of 0");
	fake_run(fake);
	g_clear_pointer(&fake, fake_free);

	/* a notification while the init packet is streamed (PRN is off there) */
	fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 20, TRUE);
	s_do(fake, DO_START);
	s_ctrl(fake, "06 01");
	s_rx_select(fake, 512, 0, 0);
	s_ctrl(fake, "02 00 00");
	s_ok(fake, 0x02);
	s_create(fake, 1, INIT_LEN);
	s_ok(fake, 0x01);
	s_data(fake, TX_INIT, 0, 40, 20);
	s_do(fake, TX_FULL);
	expect_failed(s_rx_crc(fake, 40, 0), BDFU_ERROR_PROTOCOL, "while writing the init packet");
	fake_run(fake);
	g_clear_pointer(&fake, fake_free);

	/* a receipt notification beyond what was sent */
	fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 4, 244, TRUE);
	s_init_fresh(fake, 244);
	s_ctrl(fake, "02 04 00");
	s_ok(fake, 0x02);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_create(fake, 2, 4096);
	s_ok(fake, 0x01);
	s_data(fake, TX_FW, 0, 976, 244);
	expect_failed(s_rx_crc(fake, 2000, 0), BDFU_ERROR_PROTOCOL, "only 976 bytes were sent");
	fake_run(fake);
}

/* back-pressure and cancel ------------------------------------------------------------------ */

static void
test_backpressure(void)
{
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	s_do(fake, DO_START);
	s_ctrl(fake, "06 01");
	s_rx_select(fake, 512, 0, 0);
	s_ctrl(fake, "02 00 00");
	s_ok(fake, 0x02);
	s_create(fake, 1, INIT_LEN);
	s_ok(fake, 0x01);
	s_do(fake, TX_FULL);
	s_do(fake, DO_WRITABLE);
	s_data(fake, TX_INIT, 0, INIT_LEN, 244);
	s_ctrl(fake, "03");
	s_rx_crc(fake, INIT_LEN, crc_of(fake->init, INIT_LEN));
	s_ctrl(fake, "04");
	s_ok(fake, 0x04);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_create(fake, 2, 4096);
	s_ok(fake, 0x01);
	s_data(fake, TX_FW, 0, 1220, 244);
	s_do(fake, TX_FULL);
	/* a timeout while blocked on the transport changes nothing */
	s_do(fake, DO_TIMEOUT);
	s_do(fake, DO_WRITABLE);
	s_data(fake, TX_FW, 1220, 2440, 244);
	s_do(fake, TX_FULL);
	s_do(fake, DO_WRITABLE);
	s_data(fake, TX_FW, 2440, 4096, 244);
	s_ctrl(fake, "03");
	s_rx_crc(fake, 4096, crc_of(fake->fw, 4096));
	s_ctrl(fake, "04");
	s_ok(fake, 0x04);
	s_objects_from(fake, 4096, 244, 0);
	fake_run(fake);
}

static void
test_backpressure_not_awaiting(void)
{
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	s_init_fresh(fake, 244);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_create(fake, 2, 4096);
	s_ok(fake, 0x01);
	s_data(fake, TX_FW, 0, 488, 244);
	s_do(fake, TX_FULL);
	fake_run(fake);
	/* blocked on the transport: no response timer, nothing more written */
	g_assert_false(bdfu_engine_is_awaiting_response(fake->engine));
	g_assert_cmpuint(bdfu_engine_get_data_writes(fake->engine), ==, 1 + 2);
}

static void
test_cancel(void)
{
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	g_autoptr(GError) error = NULL;
	guint8 ok[] = {0x60, 0x01, 0x01};

	fake_options(fake, 0, 244, TRUE);
	s_init_fresh(fake, 244);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_create(fake, 2, 4096);
	s_do(fake, DO_CANCEL);
	fake_run(fake);
	g_assert_false(bdfu_engine_is_awaiting_response(fake->engine));
	/* the answer arrives anyway: nothing is written (the script is over) */
	g_assert_cmpint(
	    bdfu_engine_feed(fake->engine, ok, sizeof(ok), &error), ==, BDFU_ENGINE_STATUS_FAILED);
	g_assert_error(error, BDFU_ERROR, BDFU_ERROR_CANCELLED);
	g_clear_error(&error);
	g_assert_cmpint(bdfu_engine_writable(fake->engine, &error), ==, BDFU_ENGINE_STATUS_FAILED);
	g_clear_error(&error);
	g_assert_cmpint(bdfu_engine_start(fake->engine, &error), ==, BDFU_ENGINE_STATUS_FAILED);
	g_assert_error(error, BDFU_ERROR, BDFU_ERROR_CANCELLED);
}

static void
test_transport_errors(void)
{
	g_autoptr(Fake) fake = NULL;

	/* a Control Point write fails: a connection error naming the request */
	fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	expect_failed(
	    s_do(fake, DO_START), BDFU_ERROR_CONNECTION_FAILED, "cannot send Select command");
	s_do(fake, TX_ERROR);
	fake_run(fake);
	g_clear_pointer(&fake, fake_free);

	/* a Packet write fails; after link_lost the engine starts again with Select */
	fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	s_init_fresh(fake, 244);
	s_ctrl(fake, "06 02");
	s_rx_select(fake, 4096, 0, 0);
	s_create(fake, 2, 4096);
	expect_failed(s_ok(fake, 0x01), BDFU_ERROR_CONNECTION_FAILED, "Packet");
	s_data(fake, TX_FW, 0, 488, 244);
	s_do(fake, TX_ERROR);
	s_do(fake, DO_LINK_LOST);
	s_init_resumed(fake, 0);
	s_rx_select(fake, 4096, 488, crc_of(fake->fw, 488));
	s_data(fake, TX_FW, 488, 4096, 244);
	s_ctrl(fake, "03");
	s_rx_crc(fake, 4096, crc_of(fake->fw, 4096));
	s_ctrl(fake, "04");
	s_ok(fake, 0x04);
	s_objects_from(fake, 4096, 244, 0);
	fake_run(fake);
}

static void
test_stale_after_loss(void)
{
	g_autoptr(Fake) fake = fake_new(INIT_LEN, FW_LEN);
	fake_options(fake, 0, 244, TRUE);
	s_do(fake, DO_LINK_LOST);
	fake_run(fake);
	/* stale notifications after a loss are ignored */
	{
		g_autoptr(GError) error = NULL;
		guint8 ok[] = {0x60, 0x01, 0x01};
		g_assert_cmpint(bdfu_engine_feed(fake->engine, ok, sizeof(ok), &error),
				==,
				BDFU_ENGINE_STATUS_CONTINUE);
		g_assert_no_error(error);
	}
}

/* random notifications never crash the engine --------------------------------------------- */

typedef struct {
	GRand *rand;
	guint8 last_op;
	guint8 obj_type; /* of the last Select or Create */
	gsize written;	 /* Packet bytes since the last Select or Create */
	gsize base;	 /* offset the last data Select reported */
} Chaos;

static gboolean
any_write_ctrl(gpointer user_data, const guint8 *buf, gsize len, GError **error)
{
	Chaos *chaos = user_data;
	g_assert_cmpuint(len, >=, 1);
	g_assert_cmpuint(len, <=, BDFU_PROTO_MAX_REQUEST);
	chaos->last_op = buf[0];
	if ((buf[0] == 0x01 || buf[0] == 0x06) && len >= 2) {
		chaos->obj_type = buf[1];
		chaos->written = 0;
	}
	return TRUE;
}

static gboolean
any_write_data(gpointer user_data, const guint8 *buf, gsize len, GError **error)
{
	Chaos *chaos = user_data;
	g_assert_cmpuint(len, >=, 1);
	g_assert_cmpuint(len, <=, 244);
	if (g_rand_int_range(chaos->rand, 0, 8) == 0)
		return FALSE;
	chaos->written += len;
	chaos->last_op = 0x03; /* a receipt is what may come next */
	return TRUE;
}

/* a notification: often the right answer to the last request with random values, else junk */
static gsize
chaos_answer(Chaos *chaos, GBytes *init, GBytes *fw, guint8 *buf, gsize max)
{
	GBytes *obj = chaos->obj_type == 1 ? init : fw;
	gsize obj_len = g_bytes_get_size(obj);
	GRand *rand = chaos->rand;
	gint what = g_rand_int_range(rand, 0, 60);
	guint32 off = (guint32)g_rand_int_range(rand, 0, FW_LEN / 4 + 2) * 4;
	gsize len = (gsize)g_rand_int_range(rand, 0, (gint)max + 1);

	for (gsize j = 0; j < len; j++)
		buf[j] = (guint8)g_rand_int_range(rand, 0, 256);
	if (what >= 58)
		return len;
	buf[0] = 0x60;
	buf[1] = what < 55 ? chaos->last_op : 0x03;
	buf[2] = what < 56 ? 0x01 : (guint8)g_rand_int_range(rand, 2, 12);
	if (buf[2] != 0x01)
		return buf[2] == 0x0B ? 4 : 3;
	/* mostly the truth: what was written, with the right CRC */
	if (g_rand_int_range(rand, 0, 4) != 0)
		off = (guint32)MIN(chaos->written + (chaos->obj_type == 2 ? chaos->base : 0),
				   obj_len);
	off = (guint32)MIN(off, obj_len);
	if (buf[1] == 0x06) {
		put_u32(buf + 3,
			g_rand_int_range(rand, 0, 8) != 0 ? 4096 : (guint32)g_rand_int(rand));
		put_u32(buf + 7, off);
		put_u32(buf + 11, g_rand_int_range(rand, 0, 4) != 0 ? crc_of(obj, off) : off);
		if (chaos->obj_type == 2)
			chaos->base = off;
		return 15;
	}
	if (buf[1] == 0x03) {
		put_u32(buf + 3, off);
		put_u32(buf + 7, g_rand_int_range(rand, 0, 4) != 0 ? crc_of(obj, off) : off);
		return 11;
	}
	return 3;
}

static void
test_random_notifications(void)
{
	const BdfuEngineTransport transport = {any_write_ctrl, any_write_data};
	g_autoptr(GRand) rand = g_rand_new_with_seed(20261201);
	g_autoptr(GBytes) init = make_bytes(INIT_LEN, 3);
	g_autoptr(GBytes) fw = make_bytes(FW_LEN, 7);
	Chaos chaos = {.rand = rand};
	guint deep = 0;

	for (guint run = 0; run < 500; run++) {
		g_autoptr(BdfuEngine) engine = bdfu_engine_new(&transport, NULL, &chaos);
		BdfuEngineOptions options;
		guint steps = 0;

		bdfu_engine_options_init(&options);
		options.prn = (guint16)g_rand_int_range(rand, 0, 5);
		options.chunk_size = (gsize)g_rand_int_range(rand, 20, 245);
		options.resume = g_rand_int_range(rand, 0, 4) != 0;
		bdfu_engine_set_options(engine, &options);
		bdfu_engine_set_image(engine, init, fw);
		g_assert_cmpint(bdfu_engine_start(engine, NULL), ==, BDFU_ENGINE_STATUS_CONTINUE);
		for (; steps < 400; steps++) {
			g_autoptr(GError) error = NULL;
			guint8 buf[20];
			gsize len = chaos_answer(&chaos, init, fw, buf, sizeof(buf));
			gint what = g_rand_int_range(rand, 0, 100);
			BdfuEngineStatus status;

			if (what == 0)
				status = bdfu_engine_timeout(engine, &error);
			else if (what < 4 || !bdfu_engine_is_awaiting_response(engine))
				status = bdfu_engine_writable(engine, &error);
			else if (what == 4) {
				bdfu_engine_link_lost(engine);
				status = bdfu_engine_start(engine, &error);
			} else
				status = bdfu_engine_feed(engine, buf, len, &error);
			if (status == BDFU_ENGINE_STATUS_FAILED) {
				g_assert_nonnull(error);
				g_assert_true(error->domain == BDFU_ERROR);
				g_assert_nonnull(error->message);
				break;
			}
			g_assert_no_error(error);
			if (status == BDFU_ENGINE_STATUS_DONE)
				break;
		}
		if (steps >= 20)
			deep++;
		g_assert_cmpuint(bdfu_engine_get_verified_offset(engine), <=, FW_LEN);
	}
	g_test_message("%u of 500 random exchanges went 20 steps or more", deep);
	g_assert_cmpuint(deep, >, 10);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/dfu/fresh/BV-prn-off-mtu23", test_fresh_mtu23);
	g_test_add_func("/dfu/fresh/BV-mtu247", test_fresh_mtu247);
	g_test_add_func("/dfu/fresh/BV-chunk-rounded-to-4", test_fresh_chunk_rounded);
	g_test_add_func("/dfu/fresh/BV-odd-image-size", test_fresh_odd_image);
	g_test_add_func("/dfu/fresh/BV-prn-on", test_fresh_prn);
	g_test_add_func("/dfu/init/BV-resume-full", test_init_resume_full);
	g_test_add_func("/dfu/init/BV-resume-partial", test_init_resume_partial);
	g_test_add_func("/dfu/init/BV-other-init-replaced", test_init_other_packet);
	g_test_add_func("/dfu/init/BV-no-resume", test_init_no_resume);
	g_test_add_func("/dfu/init/BV-crc-mismatch-recreate", test_init_crc_mismatch);
	g_test_add_func("/dfu/resume/BV-mid-object", test_resume_mid_object);
	g_test_add_func("/dfu/resume/BV-mid-object-prn", test_resume_mid_object_prn);
	g_test_add_func("/dfu/resume/BV-boundary-execute", test_resume_boundary);
	g_test_add_func("/dfu/resume/BV-whole-image", test_resume_whole_image);
	g_test_add_func("/dfu/resume/BV-whole-image-0x08", test_resume_whole_image_refused);
	g_test_add_func("/dfu/resume/BV-crc-mismatch", test_resume_mismatch);
	g_test_add_func("/dfu/resume/BV-reconnect-kept", test_resume_reconnect_kept);
	g_test_add_func("/dfu/resume/BV-reconnect-lost", test_resume_reconnect_lost);
	g_test_add_func("/dfu/resume/BV-reconnect-during-init", test_resume_reconnect_during_init);
	g_test_add_func("/dfu/data/BV-crc-mismatch-one-object", test_object_crc_mismatch);
	g_test_add_func("/dfu/data/BV-crc-mismatch-twice", test_object_crc_twice);
	g_test_add_func("/dfu/data/BI-crc-gives-up", test_object_crc_gives_up);
	g_test_add_func("/dfu/data/BV-tail-lost", test_object_tail_lost);
	g_test_add_func("/dfu/data/BV-prn-mismatch", test_prn_mismatch);
	g_test_add_func("/dfu/data/BV-prn-rewind-progress", test_prn_rewind_progress);
	g_test_add_func("/dfu/timeout/BV-prn-lost", test_timeout_prn_lost);
	g_test_add_func("/dfu/timeout/BV-prn-late-zero", test_timeout_prn_late_zero);
	g_test_add_func("/dfu/timeout/BI-ctrl", test_timeout_ctrl);
	g_test_add_func("/dfu/timeout/BV-final-execute-pending", test_timeout_final_execute);
	g_test_add_func("/dfu/error/BI-init-execute", test_errors_init_execute);
	g_test_add_func("/dfu/error/BI-data", test_errors_data);
	g_test_add_func("/dfu/junk/BI-notifications", test_junk);
	g_test_add_func("/dfu/junk/BI-offsets", test_junk_offsets);
	g_test_add_func("/dfu/flow/BV-backpressure", test_backpressure);
	g_test_add_func("/dfu/flow/BV-blocked-not-awaiting", test_backpressure_not_awaiting);
	g_test_add_func("/dfu/flow/BV-cancel", test_cancel);
	g_test_add_func("/dfu/flow/BI-transport-errors", test_transport_errors);
	g_test_add_func("/dfu/flow/BV-stale-after-loss", test_stale_after_loss);
	g_test_add_func("/dfu/junk/BI-random-notifications", test_random_notifications);
	return g_test_run();
}
