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
 * "disconnect-at-init", "disconnect-before-final-execute" (and "none"); numbers are decimal or
 * 0x-hex up to 2^32-1, counts start at 1. Bad text: FALSE with BDFU_ERROR_INVALID_ARGUMENT
 * naming the text, *fault untouched.
 * How they fire (once each; the link decodes the CP requests it carries):
 *  - disconnect-at-byte: after the Packet write that takes the target's firmware offset (the
 *    absolute image offset, as Select/CRC report it) to N or beyond reached the target;
 *  - disconnect-at-init: after the first command-object Packet write reached the target;
 *  - drop-packet: the K-th Packet write of this link never reaches the target;
 *  - corrupt-byte: the data Packet write covering image offset N arrives with it inverted;
 *  - lose-notification: the K-th CP notification the target sends on this link is lost;
 *  - disconnect-before-final-execute: the Execute that completes the image (image size from
 *    the init packet seen on this link, else a short last object) reaches the target, then the
 *    link drops before the answer comes back.
 * Fault drops reach both sides, the host with reason 0x08. */
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

/* Callbacks run only inside bdfu_link_advance(); the host may call any bdfu_link_ function
 * from them except bdfu_link_free(). */
typedef struct {
	void (*ready)(gpointer user_data);
	void (*notification)(gpointer user_data, const guint8 *buf, gsize len); /* CP notify */
	void (*indication)(gpointer user_data, const guint8 *buf, gsize len);	/* buttonless */
	/* a Write Request answered (write_ctrl and write_buttonless, in order; the CCCD writes of
	 * enable_* are answered silently) */
	void (*ctrl_written)(gpointer user_data, guint8 att_status);
	void (*writable)(gpointer user_data);			     /* TX queue has room again */
	/* once: target-initiated (its reason, after what it sent before), fault (0x08, at the
	 * next event) or bdfu_link_disconnect() (0x16, at the next advance) */
	void (*disconnected)(gpointer user_data, guint8 reason);
} BdfuLinkCallbacks;

/* Starts connecting at `now_us`; returns NULL when the target is not connectable (not
 * advertising, bonded whitelist, silent). The link installs its own callbacks on the target
 * (bdfu_target_set_callbacks) until it goes down or is freed. The `ready` callback fires once the connection is up
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

/* host side writes, queued for the next connection events; FALSE when the link is gone or
 * not ready, or the value is empty or longer than MTU-3. write_data returns FALSE with
 * *queue_full=TRUE when the TX queue is full (wait for writable). Write Requests (ctrl,
 * buttonless, CCCD) go out one at a time: each waits for the previous one's answer. */
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

/* time: advance runs the connection events due up to now_us and advances the target with
 * them; next_event_us is the earliest of the target's next event and the next connection
 * event that has something to carry (idle events are only counted), G_MAXUINT64 if none */
void
bdfu_link_advance(BdfuLink *link, guint64 now_us);
guint64
bdfu_link_next_event_us(BdfuLink *link);

/* counters for benchmarks: connection events since the link became ready */
guint64
bdfu_link_get_events(BdfuLink *link);

G_END_DECLS
