/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "core/bdfu-target.h"

G_BEGIN_DECLS

/* A BLE link between a host and a BdfuTarget, on a virtual clock: connection events every
 * interval, at most packets_per_event PDUs each way per event, a bounded controller TX queue
 * (back-pressure for the host), and injected faults. Used by the simulated backend, by the
 * engine-vs-target tests and by the benchmarks. No I/O, no main loop. */

typedef struct _BdfuLink BdfuLink;

typedef enum {
	BDFU_FAULT_NONE,
	BDFU_FAULT_DISCONNECT_AT_BYTE, /* link drops once `value` firmware bytes reached the target */
	BDFU_FAULT_DISCONNECT_AT_INIT, /* link drops while the init packet is being written */
	BDFU_FAULT_DROP_PACKET,	       /* the value-th Packet write (1-based) is lost */
	BDFU_FAULT_CORRUPT_BYTE,       /* firmware byte at offset `value` arrives flipped, once */
	BDFU_FAULT_LOSE_NOTIFICATION,  /* the value-th CP notification (1-based) is lost */
	BDFU_FAULT_DISCONNECT_BEFORE_FINAL_EXECUTE, /* link drops as the last Execute is sent */
} BdfuFaultKind;

typedef struct {
	BdfuFaultKind kind;
	guint64 value;
	gboolean fired;
} BdfuFault;

/* "disconnect-at-byte:37000", "drop-packet:12", "corrupt-byte:5000", "lose-notification:3",
 * "disconnect-at-init", "disconnect-before-final-execute" */
gboolean
bdfu_fault_parse(const gchar *text, BdfuFault *fault, GError **error);

typedef struct {
	guint32 connection_interval_us; /* default 15000 */
	guint packets_per_event;	/* default 6 */
	guint tx_queue_packets;		/* controller buffers on the host side, default 8 */
	guint16 requested_mtu;		/* what the host asks for in the exchange, default 247 */
	guint32 connect_time_us;	/* connect + discovery, default 60000 */
} BdfuLinkConfig;

void
bdfu_link_config_init(BdfuLinkConfig *config);

typedef struct {
	void (*ready)(gpointer user_data);
	void (*notification)(gpointer user_data, const guint8 *buf, gsize len); /* CP notify */
	void (*indication)(gpointer user_data, const guint8 *buf, gsize len);	/* buttonless */
	void (*ctrl_written)(gpointer user_data, guint8 att_status); /* Write Request answered */
	void (*writable)(gpointer user_data);			     /* TX queue has room again */
	void (*disconnected)(gpointer user_data, guint8 reason);
} BdfuLinkCallbacks;

/* Starts connecting at `now_us`; returns NULL when the target is not connectable (not
 * advertising, bonded whitelist, silent). The `ready` callback fires once the connection is up
 * and the MTU exchanged (connect_time_us later); writes before that fail. `faults` is NOT
 * copied: the caller keeps it alive so `fired` flags persist across reconnects. */
BdfuLink *
bdfu_link_new(BdfuTarget *target,
	      const BdfuLinkConfig *config,
	      guint64 now_us,
	      BdfuFault *faults,
	      guint n_faults,
	      const BdfuLinkCallbacks *callbacks,
	      gpointer user_data);
void
bdfu_link_free(BdfuLink *link);

gboolean
bdfu_link_is_connected(BdfuLink *link);
gboolean
bdfu_link_is_ready(BdfuLink *link);
/* ATT MTU after the exchange */
guint16
bdfu_link_get_mtu(BdfuLink *link);

/* host side writes; FALSE when the link is gone. write_data returns FALSE with
 * *queue_full=TRUE when the TX queue is full (wait for writable). */
gboolean
bdfu_link_write_ctrl(BdfuLink *link, const guint8 *buf, gsize len);
gboolean
bdfu_link_write_data(BdfuLink *link, const guint8 *buf, gsize len, gboolean *queue_full);
gboolean
bdfu_link_enable_notifications(BdfuLink *link);
gboolean
bdfu_link_write_buttonless(BdfuLink *link, const guint8 *buf, gsize len);
gboolean
bdfu_link_enable_indications(BdfuLink *link);
void
bdfu_link_disconnect(BdfuLink *link);

/* time */
void
bdfu_link_advance(BdfuLink *link, guint64 now_us);
guint64
bdfu_link_next_event_us(BdfuLink *link);

/* counters for benchmarks */
guint64
bdfu_link_get_events(BdfuLink *link);

G_END_DECLS
