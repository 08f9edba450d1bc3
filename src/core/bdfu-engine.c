/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "BdfuEngine"

#include "core/bdfu-engine.h"

#include <string.h>
#include <zlib.h>

#include "bluedfu/bdfu-error.h"
#include "core/bdfu-proto.h"

/* PROTOCOL.md §3.4: one state per outstanding Control Point request, plus the two streaming
 * states where the engine writes the Packet characteristic */
typedef enum {
	ST_IDLE,
	ST_CMD_SELECT,
	ST_CMD_PRN,
	ST_CMD_CREATE,
	ST_CMD_WRITE,
	ST_CMD_CRC,
	ST_CMD_EXECUTE,
	ST_DATA_PRN,
	ST_DATA_SELECT,
	ST_DATA_RESUME_EXECUTE, /* Execute on an object boundary after Select: 0x08 is fine */
	ST_DATA_CREATE,
	ST_DATA_PREPARE, /* a pause after Create while the target erases the page */
	ST_DATA_PACE,	 /* a pause between packets: the target's flash is slower than the link */
	ST_DATA_WRITE,
	ST_DATA_CRC,
	ST_DATA_EXECUTE,
	ST_DONE,
	ST_FAILED,
	ST_CANCELLED,
	ST_LINK_DOWN,
} EngineState;

/* how careful the data stream is after the device garbled data (§3.4, §9.1) */
typedef enum {
	CARE_NORMAL,	 /* options.prn throughout */
	CARE_SLOW_START, /* PRN 1 for the first packets of each object, then options.prn */
	CARE_ALWAYS,	 /* PRN 1 throughout, as Android does after a loss */
	CARE_PACED,	 /* PRN 1 and a pause after every packet, as long as flash needs */
} Care;

/* the target's flash queue holds 16 operations and the page erase queued by Create blocks
 * it: this many packets after Create are sent one receipt at a time */
#define SLOW_START_PACKETS 16
/* once data was lost, the pause after each data Create starts here and doubles up to the max
 * (a page erase takes about 85 ms on nRF52, §9.1; iOS pauses 400 ms) */
#define PREPARE_DELAY_FIRST_MS 100
#define PREPARE_DELAY_MAX_MS 800
/* nRF52 writes a flash word in 41 us (§9.1); paced packets leave it three times that */
#define PACE_US_PER_WORD 123

/* what follows the answer to a data-phase Set PRN */
typedef enum {
	AFTER_PRN_SELECT,
	AFTER_PRN_CREATE,
	AFTER_PRN_WRITE,
} AfterPrn;

struct _BdfuEngine {
	BdfuEngineTransport transport;
	BdfuEngineEventFunc event_func;
	gpointer user_data;
	GBytes *init;
	GBytes *firmware;
	const guint8 *init_buf;
	gsize init_len;
	const guint8 *fw_buf;
	gsize fw_len;
	BdfuEngineOptions options;
	gsize chunk_size;

	EngineState state;
	guint8 request[BDFU_PROTO_MAX_REQUEST]; /* the outstanding CP request */
	gsize request_len;
	gint target_prn; /* what the target was told on this link, -1 = unknown */
	guint16 prn;	 /* in use for data: options.prn, or 1 while careful */
	Care care;
	guint prepare_ms; /* pause after each data Create, 0 = none */
	gboolean pace_due; /* CARE_PACED: a pause before the next packet */
	guint obj_packets; /* Packet writes since the object was created or resumed */
	AfterPrn after_prn;
	guint stray_crc; /* late PRNs that may still arrive after a PRN timeout */

	/* command object */
	gsize cmd_offset;
	guint cmd_retries;

	/* data objects: [obj_start, obj_end) is the current object, sent its write position */
	guint32 max_size;
	gsize obj_start;
	gsize obj_end;
	gsize sent;
	gsize rewind_at;       /* where the last rewind inside this object went */
	guint32 crc_obj_start; /* CRC-32 of firmware[0..obj_start] */
	guint obj_retries;
	guint prn_count;
	gboolean prn_wait;
	gboolean blocked;
	gboolean resume_final; /* the final Execute follows a Select, not our own checksum */
	gboolean final_pending;

	guint64 verified;
	gboolean started;     /* start() was called before: a later one is a reconnect */
	gboolean reconnected; /* RESUMED still to be said on this link */
	guint ctrl_writes;
	guint data_writes;
};

void
bdfu_engine_options_init(BdfuEngineOptions *options)
{
	g_return_if_fail(options != NULL);
	memset(options, 0, sizeof(*options));
	options->prn = 0;
	options->chunk_size = 20;
	options->resume = TRUE;
	/* enough for every step of care: a pause, slow start, PRN 1, pacing */
	options->max_object_retries = 5;
}

BdfuEngine *
bdfu_engine_new(const BdfuEngineTransport *transport,
		BdfuEngineEventFunc event_func,
		gpointer user_data)
{
	BdfuEngine *engine;

	g_return_val_if_fail(transport != NULL, NULL);
	g_return_val_if_fail(transport->write_ctrl != NULL && transport->write_data != NULL, NULL);
	engine = g_new0(BdfuEngine, 1);
	engine->transport = *transport;
	engine->event_func = event_func;
	engine->user_data = user_data;
	bdfu_engine_options_init(&engine->options);
	engine->prn = engine->options.prn;
	engine->chunk_size = engine->options.chunk_size;
	engine->state = ST_IDLE;
	engine->target_prn = -1;
	return engine;
}

void
bdfu_engine_free(BdfuEngine *engine)
{
	if (engine == NULL)
		return;
	g_clear_pointer(&engine->init, g_bytes_unref);
	g_clear_pointer(&engine->firmware, g_bytes_unref);
	g_free(engine);
}

void
bdfu_engine_set_image(BdfuEngine *engine, GBytes *init, GBytes *firmware)
{
	g_return_if_fail(engine != NULL);
	g_return_if_fail(init != NULL && firmware != NULL);
	g_bytes_ref(init);
	g_bytes_ref(firmware);
	g_clear_pointer(&engine->init, g_bytes_unref);
	g_clear_pointer(&engine->firmware, g_bytes_unref);
	engine->init = init;
	engine->firmware = firmware;
	engine->init_buf = g_bytes_get_data(init, &engine->init_len);
	engine->fw_buf = g_bytes_get_data(firmware, &engine->fw_len);
	engine->verified = 0;
}

void
bdfu_engine_set_options(BdfuEngine *engine, const BdfuEngineOptions *options)
{
	g_return_if_fail(engine != NULL && options != NULL);
	engine->options = *options;
	engine->prn = options->prn;
	engine->prepare_ms = options->prepare_delay_ms;
	if (options->chunk_size != 0)
		engine->chunk_size = options->chunk_size;
}

void
bdfu_engine_set_chunk_size(BdfuEngine *engine, gsize chunk_size)
{
	g_return_if_fail(engine != NULL);
	engine->chunk_size = chunk_size;
}

/* helpers ----------------------------------------------------------------------------------- */

static guint32
crc_over(guint32 crc, const guint8 *buf, gsize len)
{
	/* zlib takes uInt lengths */
	while (len > 0) {
		uInt n = (uInt)MIN(len, (gsize)0x40000000);
		crc = (guint32)crc32(crc, buf, n);
		buf += n;
		len -= n;
	}
	return crc;
}

/* CRC-32 of firmware[0..off]; cheap for offsets inside the current object */
static guint32
fw_crc(BdfuEngine *engine, gsize off)
{
	if (off >= engine->obj_start)
		return crc_over(engine->crc_obj_start,
				engine->fw_buf + engine->obj_start,
				off - engine->obj_start);
	return crc_over(0, engine->fw_buf, off);
}

static gsize
chunk_len(BdfuEngine *engine)
{
	/* every Packet write a multiple of 4 bytes (§3.4) and never above MTU-3 */
	return MAX(engine->chunk_size & ~(gsize)3, (gsize)4);
}

static guint
obj_index(BdfuEngine *engine, gsize off)
{
	return engine->max_size != 0 ? (guint)(off / engine->max_size) + 1 : 1;
}

static guint
obj_count(BdfuEngine *engine)
{
	if (engine->max_size == 0)
		return 1;
	return (guint)((engine->fw_len + engine->max_size - 1) / engine->max_size);
}

static void
emit(BdfuEngine *engine, BdfuEngineEventKind kind, guint64 offset, const gchar *message)
{
	BdfuEngineEvent event = {
	    .kind = kind,
	    .offset = offset,
	    .total = engine->fw_len,
	    .message = message,
	};
	if (engine->event_func != NULL)
		engine->event_func(&event, engine->user_data);
}

G_GNUC_PRINTF(2, 3)
static void
emit_log(BdfuEngine *engine, const gchar *format, ...)
{
	g_autofree gchar *message = NULL;
	va_list args;

	if (engine->event_func == NULL)
		return;
	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	emit(engine, BDFU_ENGINE_EVENT_LOG, engine->verified, message);
}

static void
set_verified(BdfuEngine *engine, guint64 offset)
{
	engine->verified = offset;
	emit(engine, BDFU_ENGINE_EVENT_PROGRESS, offset, NULL);
}

static gchar *
describe_request(BdfuEngine *engine)
{
	gchar *text = bdfu_proto_describe_request(engine->request, engine->request_len);
	if (text == NULL)
		text = g_strdup_printf("request 0x%02X", engine->request[0]);
	return text;
}

static gboolean
send_ctrl(BdfuEngine *engine, EngineState next, const guint8 *buf, gsize len, GError **error)
{
	g_autofree gchar *text = NULL;

	memcpy(engine->request, buf, len);
	engine->request_len = len;
	if (engine->event_func != NULL) {
		text = describe_request(engine);
		emit_log(engine, "-> %s", text);
	}
	engine->state = next;
	if (!engine->transport.write_ctrl(engine->user_data, buf, len, error)) {
		if (text == NULL)
			text = describe_request(engine);
		g_prefix_error(error, "cannot send %s: ", text);
		if (error != NULL && *error == NULL)
			g_set_error(error,
				    BDFU_ERROR,
				    BDFU_ERROR_CONNECTION_FAILED,
				    "cannot send %s",
				    text);
		return FALSE;
	}
	engine->ctrl_writes++;
	return TRUE;
}

static gboolean
send_select(BdfuEngine *engine, EngineState next, BdfuObjectType type, GError **error)
{
	guint8 buf[BDFU_PROTO_MAX_REQUEST];
	return send_ctrl(engine, next, buf, bdfu_proto_encode_select(buf, type), error);
}

static gboolean
send_create(BdfuEngine *engine, EngineState next, BdfuObjectType type, gsize size, GError **error)
{
	guint8 buf[BDFU_PROTO_MAX_REQUEST];
	return send_ctrl(
	    engine, next, buf, bdfu_proto_encode_create(buf, type, (guint32)size), error);
}

static gboolean
send_prn(BdfuEngine *engine, EngineState next, guint16 prn, GError **error)
{
	guint8 buf[BDFU_PROTO_MAX_REQUEST];
	return send_ctrl(engine, next, buf, bdfu_proto_encode_set_prn(buf, prn), error);
}

static gboolean
send_calc_crc(BdfuEngine *engine, EngineState next, GError **error)
{
	guint8 buf[BDFU_PROTO_MAX_REQUEST];
	return send_ctrl(engine, next, buf, bdfu_proto_encode_calc_crc(buf), error);
}

static gboolean
send_execute(BdfuEngine *engine, EngineState next, GError **error)
{
	guint8 buf[BDFU_PROTO_MAX_REQUEST];
	return send_ctrl(engine, next, buf, bdfu_proto_encode_execute(buf), error);
}

/* one Packet write; FALSE with error when the link failed, *full when it must wait */
static gboolean
send_data(BdfuEngine *engine, const guint8 *buf, gsize len, gboolean *full, GError **error)
{
	GError *error_local = NULL;

	*full = FALSE;
	if (engine->transport.write_data(engine->user_data, buf, len, &error_local)) {
		engine->data_writes++;
		return TRUE;
	}
	if (error_local == NULL) {
		*full = TRUE;
		engine->blocked = TRUE;
		return TRUE;
	}
	g_propagate_prefixed_error(error,
				   error_local,
				   "cannot write %" G_GSIZE_FORMAT
				   " bytes to the Packet characteristic: ",
				   len);
	return FALSE;
}

/* init packet -------------------------------------------------------------------------------- */

static gboolean
cmd_create(BdfuEngine *engine, GError **error)
{
	engine->cmd_offset = 0;
	if (engine->target_prn != 0)
		return send_prn(engine, ST_CMD_PRN, 0, error);
	return send_create(engine, ST_CMD_CREATE, BDFU_OBJ_COMMAND, engine->init_len, error);
}

static gboolean
cmd_write(BdfuEngine *engine, GError **error)
{
	engine->state = ST_CMD_WRITE;
	while (engine->cmd_offset < engine->init_len && !engine->blocked) {
		gsize len = MIN(chunk_len(engine), engine->init_len - engine->cmd_offset);
		gboolean full = FALSE;
		if (!send_data(engine, engine->init_buf + engine->cmd_offset, len, &full, error))
			return FALSE;
		if (full)
			return TRUE;
		engine->cmd_offset += len;
	}
	if (engine->blocked)
		return TRUE;
	return send_calc_crc(engine, ST_CMD_CRC, error);
}

static gboolean
cmd_selected(BdfuEngine *engine, const BdfuResponse *rsp, GError **error)
{
	gsize len = engine->init_len;

	if (engine->options.resume && rsp->offset > 0 && rsp->offset <= len &&
	    rsp->crc == crc_over(0, engine->init_buf, rsp->offset)) {
		if (rsp->offset == len) {
			emit_log(engine, "the device already holds this init packet: executing it");
			return send_execute(engine, ST_CMD_EXECUTE, error);
		}
		/* §3.4: continue the command object without Create; PRN must be off for it */
		emit_log(engine,
			 "the device holds %u of %" G_GSIZE_FORMAT " init packet bytes: continuing",
			 rsp->offset,
			 len);
		engine->cmd_offset = rsp->offset;
		if (engine->target_prn != 0)
			return send_prn(engine, ST_CMD_PRN, 0, error);
		return cmd_write(engine, error);
	}
	return cmd_create(engine, error);
}

static gboolean
cmd_checksum(BdfuEngine *engine, const BdfuResponse *rsp, GError **error)
{
	gsize len = engine->init_len;
	guint32 want = crc_over(0, engine->init_buf, len);

	if (rsp->offset > len) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_PROTOCOL,
			    "the device reports %u init packet bytes but the init packet has "
			    "only %" G_GSIZE_FORMAT,
			    rsp->offset,
			    len);
		return FALSE;
	}
	if (rsp->offset == len && rsp->crc == want)
		return send_execute(engine, ST_CMD_EXECUTE, error);
	if (++engine->cmd_retries > engine->options.max_object_retries) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_TRANSFER_FAILED,
			    "the init packet failed its checksum %u times (device: %u bytes, CRC "
			    "0x%08X; expected %" G_GSIZE_FORMAT " bytes, CRC 0x%08X).\n"
			    "Fix: move closer or remove interference and try again",
			    engine->cmd_retries,
			    rsp->offset,
			    rsp->crc,
			    len,
			    want);
		return FALSE;
	}
	if (rsp->crc == crc_over(0, engine->init_buf, rsp->offset)) {
		emit_log(engine,
			 "the device got %u of %" G_GSIZE_FORMAT " init bytes: re-sending the rest",
			 rsp->offset,
			 len);
		engine->cmd_offset = rsp->offset;
		return cmd_write(engine, error);
	}
	emit_log(engine,
		 "init packet checksum mismatch (0x%08X, expected 0x%08X): re-creating it",
		 rsp->crc,
		 want);
	return send_create(engine, ST_CMD_CREATE, BDFU_OBJ_COMMAND, len, error);
}

/* firmware ----------------------------------------------------------------------------------- */

static gboolean
data_begin(BdfuEngine *engine, GError **error)
{
	engine->after_prn = AFTER_PRN_SELECT;
	if (engine->target_prn != (gint)engine->prn)
		return send_prn(engine, ST_DATA_PRN, engine->prn, error);
	return send_select(engine, ST_DATA_SELECT, BDFU_OBJ_DATA, error);
}

/* Create the object that starts at `start`; crc_obj_start must already be CRC32(fw[0..start]) */
static gboolean
data_create(BdfuEngine *engine, gsize start, GError **error)
{
	engine->obj_start = start;
	engine->obj_end = MIN(start + engine->max_size, engine->fw_len);
	engine->sent = start;
	engine->rewind_at = start;
	engine->resume_final = FALSE;
	engine->obj_packets = 0;
	if (engine->care != CARE_NORMAL)
		engine->prn = 1;
	/* Set PRN before Create: the target resets its counter on both */
	if (engine->target_prn != (gint)engine->prn) {
		engine->after_prn = AFTER_PRN_CREATE;
		return send_prn(engine, ST_DATA_PRN, engine->prn, error);
	}
	return send_create(
	    engine, ST_DATA_CREATE, BDFU_OBJ_DATA, engine->obj_end - engine->obj_start, error);
}

static gboolean
data_execute(BdfuEngine *engine, GError **error)
{
	engine->final_pending = engine->obj_end == engine->fw_len;
	return send_execute(engine, ST_DATA_EXECUTE, error);
}

static gboolean
data_write(BdfuEngine *engine, GError **error)
{
	engine->state = ST_DATA_WRITE;
	while (!engine->blocked && !engine->prn_wait) {
		gsize len;
		gboolean full = FALSE;

		if (engine->sent >= engine->obj_end)
			return send_calc_crc(engine, ST_DATA_CRC, error);
		if (engine->care == CARE_PACED && engine->pace_due) {
			engine->pace_due = FALSE;
			engine->state = ST_DATA_PACE;
			return TRUE;
		}
		if (engine->care == CARE_SLOW_START && engine->prn != engine->options.prn &&
		    engine->obj_packets >= SLOW_START_PACKETS) {
			/* the erase is over by now: back to the requested interval */
			engine->prn = engine->options.prn;
			engine->after_prn = AFTER_PRN_WRITE;
			return send_prn(engine, ST_DATA_PRN, engine->prn, error);
		}
		len = MIN(chunk_len(engine), engine->obj_end - engine->sent);
		if (!send_data(engine, engine->fw_buf + engine->sent, len, &full, error))
			return FALSE;
		if (full)
			return TRUE;
		engine->sent += len;
		engine->obj_packets++;
		engine->pace_due = TRUE;
		if (engine->prn != 0 && ++engine->prn_count >= engine->prn) {
			engine->prn_count = 0;
			engine->prn_wait = TRUE;
		}
	}
	return TRUE;
}

/* after garbled data (a packet dropped in the middle shifts all after it), wait for a receipt
 * after each of the first packets of every object, where the erase queued by Create makes the
 * target drop packets (§9.1); if that is not enough, after every packet for the rest of the
 * update (§3.4, as Android does). Packets lost only at the end of what was sent leave a good
 * prefix and are simply re-sent, without this. */
static guint
pace_ms(BdfuEngine *engine)
{
	return MAX(1u, (guint)((chunk_len(engine) / 4 * PACE_US_PER_WORD + 999) / 1000));
}

static void
data_more_care(BdfuEngine *engine)
{
	guint prepare = CLAMP(engine->prepare_ms * 2, PREPARE_DELAY_FIRST_MS, PREPARE_DELAY_MAX_MS);
	/* the first loss is most likely the erase after Create: a pause fixes that alone */
	gboolean first = engine->prepare_ms == 0;
	if (prepare != engine->prepare_ms) {
		engine->prepare_ms = prepare;
		emit_log(engine, "data was lost: pausing %u ms after each Create while the device "
			 "erases the page", prepare);
	}
	if (first || engine->care == CARE_PACED)
		return;
	engine->care = engine->options.prn == 1 ? CARE_PACED : engine->care + 1;
	if (engine->care == CARE_SLOW_START)
		emit_log(engine,
			 "data was garbled again: waiting for a receipt after each of the first %u "
			 "packets of every object from now on",
			 SLOW_START_PACKETS);
	else if (engine->care == CARE_ALWAYS)
		emit_log(engine,
			 "data was garbled again: waiting for a receipt after every packet from "
			 "now on");
	else
		emit_log(engine,
			 "data was garbled again: the device's flash is slower than the link, "
			 "pausing %u ms after every packet from now on",
			 pace_ms(engine));
}

/* the device lost or garbled this object: Create it again (the target rewinds, §3.2) */
static gboolean
data_retry_object(BdfuEngine *engine,
		  guint32 dev_off,
		  guint32 dev_crc,
		  gboolean loss,
		  GError **error)
{
	g_autofree gchar *message = NULL;
	guint32 want = fw_crc(engine, engine->sent);

	/* whatever receipts said, the device's copy of this object is not good */
	if (engine->verified > engine->obj_start)
		engine->verified = engine->obj_start;
	if (++engine->obj_retries > engine->options.max_object_retries) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_TRANSFER_FAILED,
			    "firmware object %u/%u (bytes %" G_GSIZE_FORMAT "-%" G_GSIZE_FORMAT
			    ") failed its checksum %u times (device: offset %u, CRC 0x%08X; "
			    "expected offset %" G_GSIZE_FORMAT ", CRC 0x%08X).\n"
			    "Fix: move closer or remove interference, lower --prn or the MTU, "
			    "then run the same command again: it resumes",
			    obj_index(engine, engine->obj_start),
			    obj_count(engine),
			    engine->obj_start,
			    engine->obj_end - 1,
			    engine->obj_retries,
			    dev_off,
			    dev_crc,
			    engine->sent,
			    want);
		return FALSE;
	}
	if (!loss)
		message = g_strdup_printf("firmware object %u/%u: the device will not execute the "
					  "image it reported complete: re-sending it from "
					  "%" G_GSIZE_FORMAT " (attempt %u of %u)",
					  obj_index(engine, engine->obj_start),
					  obj_count(engine),
					  engine->obj_start,
					  engine->obj_retries + 1,
					  engine->options.max_object_retries + 1);
	else
		message =
		    g_strdup_printf("firmware object %u/%u failed its checksum (device: offset %u, "
				    "CRC 0x%08X; expected offset %" G_GSIZE_FORMAT ", CRC 0x%08X): "
				    "re-sending it from %" G_GSIZE_FORMAT " (attempt %u of %u)",
				    obj_index(engine, engine->obj_start),
				    obj_count(engine),
				    dev_off,
				    dev_crc,
				    engine->sent,
				    want,
				    engine->obj_start,
				    engine->obj_retries + 1,
				    engine->options.max_object_retries + 1);
	emit(engine, BDFU_ENGINE_EVENT_RETRY, engine->obj_start, message);
	if (loss)
		data_more_care(engine);
	return data_create(engine, engine->obj_start, error);
}

/* a checksum answer (or a PRN we stopped for) decides how to go on */
static gboolean
data_checksum(BdfuEngine *engine, const BdfuResponse *rsp, GError **error)
{
	gsize off = rsp->offset;
	gboolean resend_prn = engine->prn > 1;

	/* a receipt that timed out may still come, before the checksum answer */
	if (engine->stray_crc > 0 && off < engine->obj_start) {
		engine->stray_crc--;
		return TRUE;
	}
	if (off > engine->sent || off < engine->obj_start) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_PROTOCOL,
			    "the device reports firmware offset %u, outside of what was sent of "
			    "object %u/%u (%" G_GSIZE_FORMAT "-%" G_GSIZE_FORMAT ")",
			    rsp->offset,
			    obj_index(engine, engine->obj_start),
			    obj_count(engine),
			    engine->obj_start,
			    engine->sent);
		return FALSE;
	}
	if (rsp->crc != fw_crc(engine, off))
		return data_retry_object(engine, rsp->offset, rsp->crc, TRUE, error);
	if (off > engine->verified || off == engine->obj_end)
		set_verified(engine, off);
	if (off == engine->obj_end)
		return data_execute(engine, error);
	if (off < engine->sent) {
		/* packets went missing but what arrived is good: continue from there (§3.4);
		 * only a rewind that makes no progress counts as a failed attempt */
		if (off <= engine->rewind_at &&
		    ++engine->obj_retries > engine->options.max_object_retries)
			return data_retry_object(engine, rsp->offset, rsp->crc, TRUE, error);
		engine->rewind_at = off;
		emit_log(engine,
			 "the device has %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
			 " bytes sent: re-sending from %" G_GSIZE_FORMAT,
			 off,
			 engine->sent,
			 off);
		engine->sent = off;
	}
	/* with PRN above 1 the target's counter is unknown now: Set PRN resets it */
	if (resend_prn) {
		engine->after_prn = AFTER_PRN_WRITE;
		return send_prn(engine, ST_DATA_PRN, engine->prn, error);
	}
	engine->prn_count = 0;
	return data_write(engine, error);
}

static gboolean
data_prn(BdfuEngine *engine, const BdfuResponse *rsp, GError **error)
{
	gboolean waited = engine->prn_wait;

	if (rsp->offset > engine->sent) {
		g_set_error(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_PROTOCOL,
		    "a receipt notification reports firmware offset %u but only %" G_GSIZE_FORMAT
		    " bytes were sent",
		    rsp->offset,
		    engine->sent);
		return FALSE;
	}
	if (rsp->offset >= engine->obj_start && rsp->crc == fw_crc(engine, rsp->offset) &&
	    (rsp->offset == engine->sent || !waited)) {
		if (rsp->offset > engine->verified)
			set_verified(engine, rsp->offset);
		engine->prn_wait = FALSE;
		return data_write(engine, error);
	}
	/* offset 0 / CRC 0 (a counted-but-dropped packet, §3.3), lost bytes or bad bytes: ask */
	emit_log(engine,
		 "receipt notification at %u (CRC 0x%08X) does not match %" G_GSIZE_FORMAT
		 " bytes sent: asking for the checksum",
		 rsp->offset,
		 rsp->crc,
		 engine->sent);
	engine->prn_wait = FALSE;
	return send_calc_crc(engine, ST_DATA_CRC, error);
}

static gboolean
data_selected(BdfuEngine *engine, const BdfuResponse *rsp, GError **error)
{
	gsize size = engine->fw_len;
	gsize off = rsp->offset;
	guint32 local;
	g_autofree gchar *message = NULL;

	if (rsp->max_size == 0) {
		g_set_error_literal(error,
				    BDFU_ERROR,
				    BDFU_ERROR_PROTOCOL,
				    "Select data answered a maximum object size of 0");
		return FALSE;
	}
	if (off > size) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_PROTOCOL,
			    "Select data reports offset %u beyond the image size %" G_GSIZE_FORMAT,
			    rsp->offset,
			    size);
		return FALSE;
	}
	engine->max_size = rsp->max_size;
	engine->obj_retries = 0;
	if (off != 0 && engine->options.resume)
		engine->reconnected = FALSE; /* every path below emits RESUMED */
	if (off == 0 || !engine->options.resume) {
		/* after a reconnect, always say where it goes on, even from 0 */
		if (engine->verified > 0 && !engine->options.resume)
			message = g_strdup_printf(
			    "resume is off: sending all %" G_GSIZE_FORMAT " bytes again", size);
		else if (engine->verified > 0)
			message = g_strdup_printf("the device kept no firmware data (SDK 16+ drops "
						  "unsaved progress on disconnect): sending all "
						  "%" G_GSIZE_FORMAT " bytes again",
						  size);
		else if (engine->reconnected)
			message = g_strdup_printf("reconnected before any firmware was confirmed: "
						  "starting at 0 of %" G_GSIZE_FORMAT,
						  size);
		engine->reconnected = FALSE;
		engine->verified = 0;
		if (message != NULL)
			emit(engine, BDFU_ENGINE_EVENT_RESUMED, 0, message);
		engine->crc_obj_start = 0;
		return data_create(engine, 0, error);
	}

	local = crc_over(0, engine->fw_buf, off);
	if (local != rsp->crc) {
		gsize back =
		    off % engine->max_size != 0 ? off % engine->max_size : engine->max_size;
		gsize start = off - MIN(back, off);
		message =
		    g_strdup_printf("the device's %" G_GSIZE_FORMAT " bytes do not match this "
				    "firmware (CRC 0x%08X, expected 0x%08X): resuming at "
				    "%" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT,
				    off,
				    rsp->crc,
				    local,
				    start,
				    size);
		engine->crc_obj_start = crc_over(0, engine->fw_buf, start);
		engine->obj_start = start;
		engine->verified = start;
		emit(engine, BDFU_ENGINE_EVENT_RESUMED, start, message);
		return data_create(engine, start, error);
	}

	engine->verified = off;
	if (off == size) {
		/* §3.5: the whole image arrived but was never executed */
		engine->obj_start = ((size - 1) / engine->max_size) * engine->max_size;
		engine->obj_end = size;
		engine->sent = size;
		engine->crc_obj_start = crc_over(0, engine->fw_buf, engine->obj_start);
		message = g_strdup_printf("resuming at %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
					  " (the device holds the whole image): executing it",
					  off,
					  size);
		emit(engine, BDFU_ENGINE_EVENT_RESUMED, off, message);
		if (!data_execute(engine, error))
			return FALSE;
		engine->resume_final = TRUE;
		return TRUE;
	}
	message = g_strdup_printf("resuming at %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
				  " (device kept %" G_GSIZE_FORMAT " object%s)",
				  off,
				  size,
				  off / engine->max_size,
				  off / engine->max_size == 1 ? "" : "s");
	emit(engine, BDFU_ENGINE_EVENT_RESUMED, off, message);
	if (off % engine->max_size != 0) {
		/* mid object: it exists on the target, continue without Create */
		engine->obj_start = off - off % engine->max_size;
		engine->obj_end = MIN(engine->obj_start + engine->max_size, size);
		engine->crc_obj_start = crc_over(0, engine->fw_buf, engine->obj_start);
		engine->sent = off;
		engine->prn_count = 0;
		engine->obj_packets = 0;
		return data_write(engine, error);
	}
	/* object boundary: executed, complete but unexecuted, or next one created-but-empty */
	engine->obj_start = off;
	engine->obj_end = off;
	engine->crc_obj_start = local;
	return send_execute(engine, ST_DATA_RESUME_EXECUTE, error);
}

static gboolean
data_executed(BdfuEngine *engine, GError **error)
{
	if (engine->obj_end >= engine->fw_len) {
		engine->final_pending = FALSE;
		engine->state = ST_DONE;
		set_verified(engine, engine->fw_len);
		return TRUE;
	}
	engine->crc_obj_start = fw_crc(engine, engine->obj_end);
	engine->obj_retries = 0;
	return data_create(engine, engine->obj_end, error);
}

/* notifications ------------------------------------------------------------------------------ */

static gboolean
state_awaits_ctrl(EngineState state)
{
	switch (state) {
	case ST_CMD_SELECT:
	case ST_CMD_PRN:
	case ST_CMD_CREATE:
	case ST_CMD_CRC:
	case ST_CMD_EXECUTE:
	case ST_DATA_PRN:
	case ST_DATA_SELECT:
	case ST_DATA_RESUME_EXECUTE:
	case ST_DATA_CREATE:
	case ST_DATA_CRC:
	case ST_DATA_EXECUTE:
		return TRUE;
	default:
		return FALSE;
	}
}

static void
prefix_context(BdfuEngine *engine, GError **error)
{
	if (engine->state <= ST_CMD_EXECUTE)
		g_prefix_error(error, "init packet: ");
	else if (engine->max_size != 0)
		g_prefix_error(error,
			       "firmware object %u/%u: ",
			       obj_index(engine, engine->obj_start),
			       obj_count(engine));
	else
		g_prefix_error(error, "firmware: ");
}

/* a non-success result; FALSE when it is fatal */
static gboolean
handle_failure(BdfuEngine *engine, const BdfuResponse *rsp, GError **error)
{
	if (rsp->result == BDFU_RES_OPERATION_NOT_PERMITTED) {
		if (engine->state == ST_DATA_RESUME_EXECUTE) {
			/* §3.5: already executed, or the next object is created but empty */
			emit_log(engine,
				 "nothing to execute at %" G_GSIZE_FORMAT
				 ": creating the next object",
				 engine->obj_start);
			return data_create(engine, engine->obj_start, error);
		}
		if (engine->state == ST_DATA_EXECUTE && engine->resume_final) {
			/* the device will not execute what it reported as complete: send the last
			 * object again and execute after our own checksum */
			engine->final_pending = FALSE;
			return data_retry_object(engine,
						 (guint32)engine->sent,
						 fw_crc(engine, engine->sent),
						 FALSE,
						 error);
		}
	}
	if (engine->state == ST_DATA_EXECUTE)
		engine->final_pending = FALSE;
	g_propagate_error(
	    error, bdfu_proto_result_to_error(rsp->request_opcode, rsp->result, rsp->ext_error));
	prefix_context(engine, error);
	return FALSE;
}

static gboolean
handle_answer(BdfuEngine *engine, const BdfuResponse *rsp, GError **error)
{
	if (rsp->result != BDFU_RES_SUCCESS)
		return handle_failure(engine, rsp, error);
	if ((rsp->request_opcode == BDFU_OP_SELECT || rsp->request_opcode == BDFU_OP_CALC_CRC) &&
	    !rsp->has_payload) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_PROTOCOL,
			    "the answer to %s carries no offset and CRC",
			    bdfu_proto_opcode_to_string(rsp->request_opcode));
		return FALSE;
	}
	switch (engine->state) {
	case ST_CMD_SELECT:
		return cmd_selected(engine, rsp, error);
	case ST_CMD_PRN:
		engine->target_prn = 0;
		if (engine->cmd_offset > 0)
			return cmd_write(engine, error);
		return send_create(
		    engine, ST_CMD_CREATE, BDFU_OBJ_COMMAND, engine->init_len, error);
	case ST_CMD_CREATE:
		engine->cmd_offset = 0;
		return cmd_write(engine, error);
	case ST_CMD_CRC:
		return cmd_checksum(engine, rsp, error);
	case ST_CMD_EXECUTE:
		emit(engine, BDFU_ENGINE_EVENT_INIT_DONE, 0, "the device accepted the init packet");
		return data_begin(engine, error);
	case ST_DATA_PRN:
		engine->target_prn = engine->prn;
		engine->prn_count = 0;
		if (engine->after_prn == AFTER_PRN_CREATE)
			return data_create(engine, engine->obj_start, error);
		if (engine->after_prn == AFTER_PRN_WRITE)
			return data_write(engine, error);
		return send_select(engine, ST_DATA_SELECT, BDFU_OBJ_DATA, error);
	case ST_DATA_SELECT:
		return data_selected(engine, rsp, error);
	case ST_DATA_RESUME_EXECUTE:
		return data_create(engine, engine->obj_start, error);
	case ST_DATA_CREATE:
		engine->prn_count = 0;
		engine->prn_wait = FALSE;
		if (engine->prepare_ms > 0) {
			engine->state = ST_DATA_PREPARE;
			return TRUE;
		}
		return data_write(engine, error);
	case ST_DATA_CRC:
		return data_checksum(engine, rsp, error);
	case ST_DATA_EXECUTE:
		return data_executed(engine, error);
	default:
		break;
	}
	/* feed() only gets here in a state that awaits an answer */
	g_set_error(error,
		    BDFU_ERROR,
		    BDFU_ERROR_FAILED,
		    "internal error: answer in engine state %d",
		    engine->state);
	return FALSE;
}

static gboolean
feed(BdfuEngine *engine, const guint8 *buf, gsize len, GError **error)
{
	BdfuResponse rsp = {0};
	g_autoptr(GError) error_local = NULL;

	if (!bdfu_proto_decode_response(buf, len, &rsp, &error_local)) {
		g_propagate_prefixed_error(
		    error, g_steal_pointer(&error_local), "junk Control Point notification: ");
		return FALSE;
	}
	if (engine->event_func != NULL) {
		g_autofree gchar *text = bdfu_proto_describe_response(buf, len);
		emit_log(engine, "<- %s", text != NULL ? text : "response");
	}

	/* a late receipt the engine already gave up waiting for may land in a pause */
	if (engine->state == ST_DATA_PACE && rsp.request_opcode == BDFU_OP_CALC_CRC &&
	    engine->stray_crc > 0) {
		engine->stray_crc--;
		return TRUE;
	}
	if (engine->state == ST_DATA_WRITE || engine->state == ST_CMD_WRITE) {
		if (engine->state == ST_DATA_WRITE && rsp.request_opcode == BDFU_OP_CALC_CRC) {
			if (rsp.result != BDFU_RES_SUCCESS)
				return handle_failure(engine, &rsp, error);
			if (!rsp.has_payload) {
				g_set_error_literal(
				    error,
				    BDFU_ERROR,
				    BDFU_ERROR_PROTOCOL,
				    "a receipt notification carries no offset and CRC");
				return FALSE;
			}
			if (engine->stray_crc > 0 && !engine->prn_wait) {
				engine->stray_crc--;
				return TRUE;
			}
			return data_prn(engine, &rsp, error);
		}
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_PROTOCOL,
			    "unexpected answer to %s while writing the %s",
			    bdfu_proto_opcode_to_string(rsp.request_opcode),
			    engine->state == ST_CMD_WRITE ? "init packet" : "firmware");
		return FALSE;
	}
	if (!state_awaits_ctrl(engine->state)) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_PROTOCOL,
			    "unexpected answer to %s: no request is outstanding",
			    bdfu_proto_opcode_to_string(rsp.request_opcode));
		return FALSE;
	}
	if (rsp.request_opcode != engine->request[0]) {
		g_autofree gchar *text = NULL;
		if (rsp.request_opcode == BDFU_OP_CALC_CRC && engine->stray_crc > 0) {
			engine->stray_crc--;
			return TRUE;
		}
		text = describe_request(engine);
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_PROTOCOL,
			    "unexpected answer to %s while waiting for the answer to %s",
			    bdfu_proto_opcode_to_string(rsp.request_opcode),
			    text);
		return FALSE;
	}
	return handle_answer(engine, &rsp, error);
}

/* public entry points ------------------------------------------------------------------------ */

static BdfuEngineStatus
finish(BdfuEngine *engine, gboolean ok, GError *error_local, GError **error)
{
	if (!ok) {
		engine->state = ST_FAILED;
		engine->prn_wait = FALSE;
		if (error_local == NULL)
			error_local = g_error_new_literal(
			    BDFU_ERROR, BDFU_ERROR_FAILED, "the transfer failed");
		g_propagate_error(error, error_local);
		return BDFU_ENGINE_STATUS_FAILED;
	}
	g_clear_error(&error_local);
	return engine->state == ST_DONE ? BDFU_ENGINE_STATUS_DONE : BDFU_ENGINE_STATUS_CONTINUE;
}

/* DONE stays DONE; FAILED and CANCELLED refuse to go on */
static gboolean
check_stopped(BdfuEngine *engine, BdfuEngineStatus *status, GError **error)
{
	switch (engine->state) {
	case ST_DONE:
		*status = BDFU_ENGINE_STATUS_DONE;
		return TRUE;
	case ST_CANCELLED:
		g_set_error_literal(
		    error, BDFU_ERROR, BDFU_ERROR_CANCELLED, "the transfer was cancelled");
		*status = BDFU_ENGINE_STATUS_FAILED;
		return TRUE;
	case ST_FAILED:
		g_set_error_literal(
		    error, BDFU_ERROR, BDFU_ERROR_FAILED, "the transfer already failed");
		*status = BDFU_ENGINE_STATUS_FAILED;
		return TRUE;
	default:
		return FALSE;
	}
}

BdfuEngineStatus
bdfu_engine_start(BdfuEngine *engine, GError **error)
{
	GError *error_local = NULL;
	BdfuEngineStatus status;
	gboolean ok;

	g_return_val_if_fail(engine != NULL, BDFU_ENGINE_STATUS_FAILED);
	if (check_stopped(engine, &status, error))
		return status;
	if (engine->init == NULL || engine->init_len == 0 || engine->fw_len == 0 ||
	    engine->fw_len > G_MAXUINT32 || engine->init_len > G_MAXUINT32) {
		g_set_error_literal(
		    error,
		    BDFU_ERROR,
		    BDFU_ERROR_INVALID_ARGUMENT,
		    "the image has no init packet or no firmware (or is over 4 GiB)");
		engine->state = ST_FAILED;
		return BDFU_ENGINE_STATUS_FAILED;
	}
	engine->reconnected = engine->started;
	engine->started = TRUE;
	/* a fresh link: nothing is in flight and the target's PRN setting is unknown */
	engine->target_prn = -1;
	engine->stray_crc = 0;
	engine->blocked = FALSE;
	engine->prn_wait = FALSE;
	engine->final_pending = FALSE;
	engine->resume_final = FALSE;
	engine->cmd_offset = 0;
	engine->cmd_retries = 0;
	engine->obj_retries = 0;
	ok = send_select(engine, ST_CMD_SELECT, BDFU_OBJ_COMMAND, &error_local);
	return finish(engine, ok, error_local, error);
}

BdfuEngineStatus
bdfu_engine_feed(BdfuEngine *engine, const guint8 *buf, gsize len, GError **error)
{
	GError *error_local = NULL;
	BdfuEngineStatus status;
	gboolean ok;

	g_return_val_if_fail(engine != NULL, BDFU_ENGINE_STATUS_FAILED);
	g_return_val_if_fail(buf != NULL || len == 0, BDFU_ENGINE_STATUS_FAILED);
	if (check_stopped(engine, &status, error))
		return status;
	if (engine->state == ST_IDLE || engine->state == ST_LINK_DOWN)
		return BDFU_ENGINE_STATUS_CONTINUE; /* left over from a dropped link */
	ok = feed(engine, buf, len, &error_local);
	return finish(engine, ok, error_local, error);
}

BdfuEngineStatus
bdfu_engine_writable(BdfuEngine *engine, GError **error)
{
	GError *error_local = NULL;
	BdfuEngineStatus status;
	gboolean ok = TRUE;

	g_return_val_if_fail(engine != NULL, BDFU_ENGINE_STATUS_FAILED);
	if (check_stopped(engine, &status, error))
		return status;
	if (!engine->blocked)
		return BDFU_ENGINE_STATUS_CONTINUE;
	engine->blocked = FALSE;
	if (engine->state == ST_CMD_WRITE)
		ok = cmd_write(engine, &error_local);
	else if (engine->state == ST_DATA_WRITE)
		ok = data_write(engine, &error_local);
	return finish(engine, ok, error_local, error);
}

BdfuEngineStatus
bdfu_engine_timeout(BdfuEngine *engine, GError **error)
{
	GError *error_local = NULL;
	g_autofree gchar *text = NULL;
	BdfuEngineStatus status;
	gboolean ok;

	g_return_val_if_fail(engine != NULL, BDFU_ENGINE_STATUS_FAILED);
	if (check_stopped(engine, &status, error))
		return status;
	if (engine->state == ST_DATA_PREPARE || engine->state == ST_DATA_PACE) {
		ok = data_write(engine, &error_local);
		return finish(engine, ok, error_local, error);
	}
	if (engine->state == ST_DATA_WRITE && engine->prn_wait) {
		/* a lost receipt notification: the checksum tells where the device is */
		emit_log(engine,
			 "no receipt notification after %" G_GSIZE_FORMAT " bytes: asking for the "
			 "checksum",
			 engine->sent);
		engine->prn_wait = FALSE;
		engine->stray_crc++;
		ok = send_calc_crc(engine, ST_DATA_CRC, &error_local);
		return finish(engine, ok, error_local, error);
	}
	if (!state_awaits_ctrl(engine->state))
		return BDFU_ENGINE_STATUS_CONTINUE;
	text = describe_request(engine);
	error_local = g_error_new(
	    BDFU_ERROR, BDFU_ERROR_TIMEOUT, "the device did not answer %s in time", text);
	prefix_context(engine, &error_local);
	return finish(engine, FALSE, error_local, error);
}

gboolean
bdfu_engine_is_awaiting_response(BdfuEngine *engine)
{
	g_return_val_if_fail(engine != NULL, FALSE);
	if (engine->state == ST_DATA_WRITE)
		return engine->prn_wait;
	if (engine->state == ST_DATA_PREPARE || engine->state == ST_DATA_PACE)
		return TRUE;
	return state_awaits_ctrl(engine->state);
}

guint
bdfu_engine_get_wait_ms(BdfuEngine *engine)
{
	g_return_val_if_fail(engine != NULL, 0);
	if (engine->state == ST_DATA_PACE)
		return pace_ms(engine);
	return engine->state == ST_DATA_PREPARE ? engine->prepare_ms : 0;
}

void
bdfu_engine_link_lost(BdfuEngine *engine)
{
	g_return_if_fail(engine != NULL);
	if (engine->state == ST_DONE || engine->state == ST_CANCELLED)
		return;
	/* a failed engine may be started again on a new link (timeouts are retried) */
	engine->state = ST_LINK_DOWN;
	engine->target_prn = -1;
	engine->blocked = FALSE;
	engine->prn_wait = FALSE;
	engine->stray_crc = 0;
}

gboolean
bdfu_engine_final_execute_pending(BdfuEngine *engine)
{
	g_return_val_if_fail(engine != NULL, FALSE);
	return engine->final_pending;
}

void
bdfu_engine_cancel(BdfuEngine *engine)
{
	g_return_if_fail(engine != NULL);
	if (engine->state == ST_DONE)
		return;
	engine->state = ST_CANCELLED;
	engine->blocked = FALSE;
	engine->prn_wait = FALSE;
	engine->final_pending = FALSE;
}

guint64
bdfu_engine_get_verified_offset(BdfuEngine *engine)
{
	g_return_val_if_fail(engine != NULL, 0);
	return engine->verified;
}

guint64
bdfu_engine_get_total(BdfuEngine *engine)
{
	g_return_val_if_fail(engine != NULL, 0);
	return engine->fw_len;
}

guint
bdfu_engine_get_ctrl_writes(BdfuEngine *engine)
{
	g_return_val_if_fail(engine != NULL, 0);
	return engine->ctrl_writes;
}

guint
bdfu_engine_get_data_writes(BdfuEngine *engine)
{
	g_return_val_if_fail(engine != NULL, 0);
	return engine->data_writes;
}
