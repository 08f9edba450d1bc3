/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The Secure DFU client state machine (PROTOCOL.md §3-4) for ONE image (init packet + firmware).
 * No I/O, no timers, no main loop: the owner feeds Control Point notifications and events and
 * the engine writes through the transport vtable. The owner arms a response timer whenever
 * bdfu_engine_is_awaiting_response() is TRUE after a call, and calls bdfu_engine_timeout()
 * when it expires. */

typedef struct _BdfuEngine BdfuEngine;

typedef struct {
	/* a Control Point Write Request; the answer arrives later through bdfu_engine_feed() */
	gboolean (*write_ctrl)(gpointer user_data, const guint8 *buf, gsize len, GError **error);
	/* a Packet Write Without Response. Return TRUE when taken; FALSE without error when the
	 * transport is full (the owner calls bdfu_engine_writable() once it drains); FALSE with
	 * error when the link failed. */
	gboolean (*write_data)(gpointer user_data, const guint8 *buf, gsize len, GError **error);
} BdfuEngineTransport;

typedef enum {
	BDFU_ENGINE_EVENT_LOG,	    /* message: a decoded request/response, for -v */
	BDFU_ENGINE_EVENT_PROGRESS, /* offset: bytes of firmware sent and acknowledged so far */
	BDFU_ENGINE_EVENT_RESUMED,  /* offset: where the transfer continues; message says why */
	BDFU_ENGINE_EVENT_RETRY,    /* offset: object start re-sent after a CRC mismatch */
	BDFU_ENGINE_EVENT_INIT_DONE /* the target accepted the init packet */
} BdfuEngineEventKind;

typedef struct {
	BdfuEngineEventKind kind;
	guint64 offset;
	guint64 total;
	const gchar *message;
} BdfuEngineEvent;

typedef void (*BdfuEngineEventFunc)(const BdfuEngineEvent *event, gpointer user_data);

typedef enum {
	BDFU_ENGINE_STATUS_CONTINUE, /* keep going: more notifications/events expected */
	BDFU_ENGINE_STATUS_DONE,     /* final Execute acknowledged: the target now resets */
	BDFU_ENGINE_STATUS_FAILED,   /* error is set; see its BDFU_ERROR code */
} BdfuEngineStatus;

typedef struct {
	guint16 prn;		  /* packet receipt notification interval for data; 0 = off */
	gsize chunk_size;	  /* max Packet write = ATT MTU - 3; rounded down to a multiple of 4 */
	gboolean resume;	  /* use Select's offset/CRC to continue (default TRUE) */
	guint max_object_retries; /* CRC mismatches tolerated per object (default 5) */
	guint prepare_delay_ms;	  /* pause after each data Create before its first packet; the
				   * engine raises it itself once data is lost (default 0) */
} BdfuEngineOptions;

void
bdfu_engine_options_init(BdfuEngineOptions *options);

BdfuEngine *
bdfu_engine_new(const BdfuEngineTransport *transport,
		BdfuEngineEventFunc event_func,
		gpointer user_data);
void
bdfu_engine_free(BdfuEngine *engine);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BdfuEngine, bdfu_engine_free)

/* init and firmware are kept (referenced) for the engine's lifetime */
void
bdfu_engine_set_image(BdfuEngine *engine, GBytes *init, GBytes *firmware);
void
bdfu_engine_set_options(BdfuEngine *engine, const BdfuEngineOptions *options);
/* a new link with a new MTU (after a reconnect) */
void
bdfu_engine_set_chunk_size(BdfuEngine *engine, gsize chunk_size);

/* Starts on a fresh connection (CP notifications already enabled): Select command, then
 * resume or create. Call again after bdfu_engine_link_lost() and a reconnect. */
BdfuEngineStatus
bdfu_engine_start(BdfuEngine *engine, GError **error);
/* a Control Point notification */
BdfuEngineStatus
bdfu_engine_feed(BdfuEngine *engine, const guint8 *buf, gsize len, GError **error);
/* the transport can take data again */
BdfuEngineStatus
bdfu_engine_writable(BdfuEngine *engine, GError **error);
/* the owner's response timer expired; a lost PRN is recovered with a Calculate Checksum,
 * a missing CP answer fails with BDFU_ERROR_TIMEOUT */
BdfuEngineStatus
bdfu_engine_timeout(BdfuEngine *engine, GError **error);
gboolean
bdfu_engine_is_awaiting_response(BdfuEngine *engine);
/* non-zero while the engine pauses on purpose (the target erases the page a data Create
 * queued, PROTOCOL.md §9.1): the owner's timer is this long instead of its response timeout */
guint
bdfu_engine_get_wait_ms(BdfuEngine *engine);
/* the link dropped: forget everything in flight; bdfu_engine_start() resumes later */
void
bdfu_engine_link_lost(BdfuEngine *engine);
/* TRUE when the final Execute was sent and its answer not yet seen: a disconnect now most
 * likely means the target accepted and reset (PROTOCOL.md §3.6) */
gboolean
bdfu_engine_final_execute_pending(BdfuEngine *engine);
/* stop here; nothing more is written */
void
bdfu_engine_cancel(BdfuEngine *engine);

/* firmware bytes confirmed by a matching CRC (executed or checksummed) */
guint64
bdfu_engine_get_verified_offset(BdfuEngine *engine);
guint64
bdfu_engine_get_total(BdfuEngine *engine);
/* counters for benchmarks and tests */
guint
bdfu_engine_get_ctrl_writes(BdfuEngine *engine);
guint
bdfu_engine_get_data_writes(BdfuEngine *engine);

G_END_DECLS
