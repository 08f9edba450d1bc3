/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "core/bdfu-link.h"

#include <string.h>

#include "bluedfu/bdfu-error.h"
#include "core/bdfu-init-packet.h"
#include "core/bdfu-proto.h"

/* HCI reasons the host sees */
#define BDFU_LINK_REASON_TIMEOUT 0x08	 /* connection timeout: the faults' "radio loss" */
#define BDFU_LINK_REASON_LOCAL_HOST 0x16 /* connection terminated by local host */

/* the init packet is captured to learn the image size; larger ones are not real */
#define BDFU_LINK_INIT_MAX 1024
#define BDFU_LINK_OBJECT_MAX_DEFAULT 4096

typedef enum {
	BDFU_LINK_TX_CTRL,	  /* Write Request to the Control Point */
	BDFU_LINK_TX_DATA,	  /* Write Without Response to the Packet characteristic */
	BDFU_LINK_TX_BUTTONLESS,  /* Write Request to the buttonless characteristic */
	BDFU_LINK_TX_CCCD_CP,	  /* Write Request: CP notifications on */
	BDFU_LINK_TX_CCCD_BUTTON, /* Write Request: buttonless indications on */
} BdfuLinkTxKind;

typedef enum {
	BDFU_LINK_RX_NOTIFY,
	BDFU_LINK_RX_INDICATE,
	BDFU_LINK_RX_WRITE_RSP,
} BdfuLinkRxKind;

typedef struct {
	guint8 kind;
	guint8 status;	   /* RX_WRITE_RSP: the ATT status */
	gboolean silent;   /* RX_WRITE_RSP of a CCCD write: no host callback */
	guint64 queued_at; /* RX: the event count when queued; delivered in a later event */
	gsize len;
	guint8 data[];
} BdfuLinkPdu;

struct _BdfuLink {
	BdfuTarget *target;
	BdfuLinkConfig config;
	BdfuFault *faults;
	guint n_faults;
	BdfuLinkCallbacks cb;
	gpointer user_data;

	guint64 now;
	guint64 ready_at;
	guint64 events; /* connection events since ready */
	guint16 mtu;
	gboolean connected; /* the host may write */
	gboolean ready;
	gboolean dead;		     /* `disconnected` delivered: nothing more happens */
	gboolean down_pending;	     /* the host still has to hear about the loss */
	gboolean down_at_next_event; /* ... at the next connection event (else at once) */
	guint64 down_event;	     /* the event count when the link went down */
	gboolean target_attached;
	guint8 down_reason;

	GQueue tx; /* BdfuLinkPdu, host to target */
	GQueue rx; /* BdfuLinkPdu, target to host */
	guint tx_data;
	guint pending_confirms;
	gboolean request_outstanding;
	gboolean want_writable;

	/* what the link decodes from the CP requests it carries, for the faults */
	guint8 object_type;
	guint8 last_select_type;
	guint8 last_request;
	guint32 max_size;
	guint32 last_create_size;
	guint64 data_offset;   /* the target's firmware offset, as far as the link can tell */
	guint64 data_executed; /* offset after the last executed data object */
	GByteArray *init;      /* command-object bytes seen on this link */
	guint64 image_size;    /* from the init packet, 0 = unknown */
	guint packet_writes;
	guint notifications;
};

void
bdfu_link_config_init(BdfuLinkConfig *config)
{
	memset(config, 0, sizeof(*config));
	config->connection_interval_us = 15000;
	config->packets_per_event = 6;
	config->tx_queue_packets = 8;
	config->requested_mtu = 247;
	config->connect_time_us = 60000;
}

/* faults ----------------------------------------------------------------------------------- */

typedef struct {
	const gchar *name;
	BdfuFaultKind kind;
	gboolean has_value;
	guint64 min_value;
} BdfuFaultSyntax;

static const BdfuFaultSyntax bdfu_fault_syntax[] = {
    {"none", BDFU_FAULT_NONE, FALSE, 0},
    {"disconnect-at-byte", BDFU_FAULT_DISCONNECT_AT_BYTE, TRUE, 1},
    {"disconnect-at-init", BDFU_FAULT_DISCONNECT_AT_INIT, FALSE, 0},
    {"drop-packet", BDFU_FAULT_DROP_PACKET, TRUE, 1},
    {"corrupt-byte", BDFU_FAULT_CORRUPT_BYTE, TRUE, 0},
    {"lose-notification", BDFU_FAULT_LOSE_NOTIFICATION, TRUE, 1},
    {"disconnect-before-final-execute", BDFU_FAULT_DISCONNECT_BEFORE_FINAL_EXECUTE, FALSE, 0},
};

#define BDFU_FAULT_EXPECTED                                                                        \
	"expected disconnect-at-byte:N, disconnect-at-init, drop-packet:K, corrupt-byte:N, "       \
	"lose-notification:K or disconnect-before-final-execute"

gboolean
bdfu_fault_parse(const gchar *text, BdfuFault *fault, GError **error)
{
	g_autofree gchar *name = NULL;
	const gchar *colon;
	const BdfuFaultSyntax *syntax = NULL;
	guint64 value = 0;

	g_return_val_if_fail(fault != NULL, FALSE);
	if (text == NULL || *text == '\0') {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "empty fault: " BDFU_FAULT_EXPECTED);
		return FALSE;
	}
	colon = strchr(text, ':');
	name = colon != NULL ? g_strndup(text, colon - text) : g_strdup(text);
	for (guint i = 0; i < G_N_ELEMENTS(bdfu_fault_syntax); i++) {
		if (g_strcmp0(bdfu_fault_syntax[i].name, name) == 0)
			syntax = &bdfu_fault_syntax[i];
	}
	if (syntax == NULL) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "unknown fault '%s': " BDFU_FAULT_EXPECTED,
			    text);
		return FALSE;
	}
	if (syntax->has_value) {
		const gchar *digits = colon != NULL ? colon + 1 : NULL;
		guint base = 10;
		if (digits == NULL || *digits == '\0') {
			g_set_error(error,
				    BDFU_ERROR,
				    BDFU_ERROR_INVALID_ARGUMENT,
				    "fault '%s' needs a number: %s:N",
				    text,
				    syntax->name);
			return FALSE;
		}
		if (g_str_has_prefix(digits, "0x") || g_str_has_prefix(digits, "0X")) {
			digits += 2;
			base = 16;
		}
		/* g_ascii_string_to_unsigned alone would accept a leading '+' or spaces */
		if (*digits == '\0' || !g_ascii_isxdigit(*digits) ||
		    !g_ascii_string_to_unsigned(
			digits, base, syntax->min_value, G_MAXUINT32, &value, NULL)) {
			g_set_error(error,
				    BDFU_ERROR,
				    BDFU_ERROR_INVALID_ARGUMENT,
				    "fault '%s': '%s' is not a number from %" G_GUINT64_FORMAT
				    " to %u",
				    text,
				    colon + 1,
				    syntax->min_value,
				    G_MAXUINT32);
			return FALSE;
		}
	} else if (colon != NULL) {
		g_set_error(error,
			    BDFU_ERROR,
			    BDFU_ERROR_INVALID_ARGUMENT,
			    "fault '%s' takes no value: write just '%s'",
			    text,
			    syntax->name);
		return FALSE;
	}
	fault->kind = syntax->kind;
	fault->value = value;
	fault->fired = FALSE;
	return TRUE;
}

/* the first fault of `kind` that has not fired yet */
static BdfuFault *
bdfu_link_fault(BdfuLink *link, BdfuFaultKind kind)
{
	for (guint i = 0; i < link->n_faults; i++) {
		if (link->faults[i].kind == kind && !link->faults[i].fired)
			return &link->faults[i];
	}
	return NULL;
}

/* queues --------------------------------------------------------------------------------- */

static BdfuLinkPdu *
bdfu_link_pdu_new(guint8 kind, const guint8 *buf, gsize len)
{
	BdfuLinkPdu *pdu = g_malloc0(sizeof(BdfuLinkPdu) + len);
	pdu->kind = kind;
	pdu->len = len;
	if (len > 0)
		memcpy(pdu->data, buf, len);
	return pdu;
}

static void
bdfu_link_clear_queues(BdfuLink *link)
{
	g_queue_clear_full(&link->tx, g_free);
	g_queue_clear_full(&link->rx, g_free);
	link->tx_data = 0;
	link->pending_confirms = 0;
	link->request_outstanding = FALSE;
	link->want_writable = FALSE;
}

/* the link is gone; the host hears it at the next connection event (target-initiated: what
 * the target sent before is still delivered) or at once */
static void
bdfu_link_go_down(BdfuLink *link, guint8 reason, gboolean tell_target, gboolean keep_rx)
{
	if (!link->connected)
		return;
	link->connected = FALSE;
	link->down_pending = TRUE;
	link->down_at_next_event = link->ready;
	link->down_event = link->events;
	link->down_reason = reason;
	g_queue_clear_full(&link->tx, g_free);
	link->tx_data = 0;
	link->pending_confirms = 0;
	if (!keep_rx)
		g_queue_clear_full(&link->rx, g_free);
	if (link->target_attached) {
		bdfu_target_set_callbacks(link->target, NULL, NULL);
		link->target_attached = FALSE;
	}
	if (tell_target && bdfu_target_is_connected(link->target))
		bdfu_target_disconnect(link->target);
}

/* target callbacks ------------------------------------------------------------------------- */

static void
bdfu_link_track_response(BdfuLink *link, const guint8 *buf, gsize len)
{
	BdfuResponse r;
	if (!bdfu_proto_decode_response(buf, len, &r, NULL) || r.result != BDFU_RES_SUCCESS)
		return;
	if (r.request_opcode == BDFU_OP_SELECT && link->last_select_type == BDFU_OBJ_DATA) {
		link->max_size = r.max_size != 0 ? r.max_size : BDFU_LINK_OBJECT_MAX_DEFAULT;
		link->data_offset = r.offset;
		link->data_executed = r.offset - r.offset % link->max_size;
	} else if (r.request_opcode == BDFU_OP_CALC_CRC && link->object_type == BDFU_OBJ_DATA) {
		link->data_offset = r.offset;
	} else if (r.request_opcode == BDFU_OP_EXECUTE && link->object_type == BDFU_OBJ_DATA) {
		link->data_executed = link->data_offset;
	}
}

static void
bdfu_link_target_notify(gpointer user_data, const guint8 *buf, gsize len)
{
	BdfuLink *link = user_data;
	BdfuLinkPdu *pdu;
	BdfuFault *fault;

	if (!link->connected)
		return;
	bdfu_link_track_response(link, buf, len);
	link->notifications++;
	fault = bdfu_link_fault(link, BDFU_FAULT_LOSE_NOTIFICATION);
	if (fault != NULL && fault->value == link->notifications) {
		fault->fired = TRUE;
		return;
	}
	pdu = bdfu_link_pdu_new(BDFU_LINK_RX_NOTIFY, buf, len);
	pdu->queued_at = link->events;
	g_queue_push_tail(&link->rx, pdu);
}

static void
bdfu_link_target_indicate(gpointer user_data, const guint8 *buf, gsize len)
{
	BdfuLink *link = user_data;
	BdfuLinkPdu *pdu;
	if (!link->connected)
		return;
	pdu = bdfu_link_pdu_new(BDFU_LINK_RX_INDICATE, buf, len);
	pdu->queued_at = link->events;
	g_queue_push_tail(&link->rx, pdu);
}

static void
bdfu_link_target_disconnected(gpointer user_data, guint8 reason)
{
	BdfuLink *link = user_data;
	bdfu_link_go_down(link, reason, FALSE, TRUE);
}

static const BdfuTargetCallbacks bdfu_link_target_callbacks = {
    .notify = bdfu_link_target_notify,
    .indicate = bdfu_link_target_indicate,
    .disconnected = bdfu_link_target_disconnected,
};

/* lifetime --------------------------------------------------------------------------------- */

BdfuLink *
bdfu_link_new(BdfuTarget *target,
	      const BdfuLinkConfig *config,
	      guint64 now_us,
	      BdfuFault *faults,
	      guint n_faults,
	      const BdfuLinkCallbacks *callbacks,
	      gpointer user_data)
{
	BdfuLink *link;
	guint16 answer;

	g_return_val_if_fail(target != NULL, NULL);
	g_return_val_if_fail(faults != NULL || n_faults == 0, NULL);
	if (!bdfu_target_connect(target))
		return NULL;
	link = g_new0(BdfuLink, 1);
	link->target = target;
	if (config != NULL)
		link->config = *config;
	else
		bdfu_link_config_init(&link->config);
	if (link->config.connection_interval_us == 0)
		link->config.connection_interval_us = 15000;
	if (link->config.packets_per_event == 0)
		link->config.packets_per_event = 1;
	if (link->config.tx_queue_packets == 0)
		link->config.tx_queue_packets = 1;
	if (link->config.requested_mtu < 23)
		link->config.requested_mtu = 23;
	link->faults = faults;
	link->n_faults = n_faults;
	if (callbacks != NULL)
		link->cb = *callbacks;
	link->user_data = user_data;
	link->now = now_us;
	link->ready_at = now_us + link->config.connect_time_us;
	link->connected = TRUE;
	link->object_type = BDFU_OBJ_COMMAND;
	link->max_size = BDFU_LINK_OBJECT_MAX_DEFAULT;
	link->init = g_byte_array_new();
	g_queue_init(&link->tx);
	g_queue_init(&link->rx);

	bdfu_target_set_callbacks(target, &bdfu_link_target_callbacks, link);
	link->target_attached = TRUE;
	answer = bdfu_target_exchange_mtu(target, link->config.requested_mtu);
	link->mtu = MAX(23, MIN(link->config.requested_mtu, answer));
	return link;
}

void
bdfu_link_free(BdfuLink *link)
{
	if (link == NULL)
		return;
	if (link->target_attached)
		bdfu_target_set_callbacks(link->target, NULL, NULL);
	if (link->connected && bdfu_target_is_connected(link->target))
		bdfu_target_disconnect(link->target);
	bdfu_link_clear_queues(link);
	g_byte_array_unref(link->init);
	g_free(link);
}

gboolean
bdfu_link_is_connected(BdfuLink *link)
{
	g_return_val_if_fail(link != NULL, FALSE);
	return link->connected;
}

gboolean
bdfu_link_is_ready(BdfuLink *link)
{
	g_return_val_if_fail(link != NULL, FALSE);
	return link->connected && link->ready;
}

guint16
bdfu_link_get_mtu(BdfuLink *link)
{
	g_return_val_if_fail(link != NULL, 23);
	return link->mtu;
}

guint64
bdfu_link_get_events(BdfuLink *link)
{
	g_return_val_if_fail(link != NULL, 0);
	return link->events;
}

/* host side -------------------------------------------------------------------------------- */

static gboolean
bdfu_link_can_write(BdfuLink *link, gsize len)
{
	return link->connected && link->ready && len <= (gsize)link->mtu - 3;
}

static gboolean
bdfu_link_queue(BdfuLink *link, guint8 kind, const guint8 *buf, gsize len)
{
	if (!bdfu_link_can_write(link, len))
		return FALSE;
	g_queue_push_tail(&link->tx, bdfu_link_pdu_new(kind, buf, len));
	return TRUE;
}

gboolean
bdfu_link_write_ctrl(BdfuLink *link, const guint8 *buf, gsize len)
{
	g_return_val_if_fail(link != NULL, FALSE);
	g_return_val_if_fail(buf != NULL || len == 0, FALSE);
	if (len == 0)
		return FALSE;
	return bdfu_link_queue(link, BDFU_LINK_TX_CTRL, buf, len);
}

gboolean
bdfu_link_write_data(BdfuLink *link, const guint8 *buf, gsize len, gboolean *queue_full)
{
	g_return_val_if_fail(link != NULL, FALSE);
	g_return_val_if_fail(buf != NULL || len == 0, FALSE);
	if (queue_full != NULL)
		*queue_full = FALSE;
	if (len == 0 || !bdfu_link_can_write(link, len))
		return FALSE;
	if (link->tx_data >= link->config.tx_queue_packets) {
		link->want_writable = TRUE;
		if (queue_full != NULL)
			*queue_full = TRUE;
		return FALSE;
	}
	g_queue_push_tail(&link->tx, bdfu_link_pdu_new(BDFU_LINK_TX_DATA, buf, len));
	link->tx_data++;
	return TRUE;
}

gboolean
bdfu_link_enable_notifications(BdfuLink *link)
{
	g_return_val_if_fail(link != NULL, FALSE);
	return bdfu_link_queue(link, BDFU_LINK_TX_CCCD_CP, NULL, 0);
}

gboolean
bdfu_link_write_buttonless(BdfuLink *link, const guint8 *buf, gsize len)
{
	g_return_val_if_fail(link != NULL, FALSE);
	g_return_val_if_fail(buf != NULL || len == 0, FALSE);
	if (len == 0)
		return FALSE;
	return bdfu_link_queue(link, BDFU_LINK_TX_BUTTONLESS, buf, len);
}

gboolean
bdfu_link_enable_indications(BdfuLink *link)
{
	g_return_val_if_fail(link != NULL, FALSE);
	return bdfu_link_queue(link, BDFU_LINK_TX_CCCD_BUTTON, NULL, 0);
}

void
bdfu_link_disconnect(BdfuLink *link)
{
	g_return_if_fail(link != NULL);
	bdfu_link_go_down(link, BDFU_LINK_REASON_LOCAL_HOST, TRUE, FALSE);
	link->down_at_next_event = FALSE;
}

/* what the link carries to the target ------------------------------------------------------ */

static void
bdfu_link_track_request(BdfuLink *link, const guint8 *buf, gsize len)
{
	if (len == 0)
		return;
	link->last_request = buf[0];
	if (buf[0] == BDFU_OP_SELECT && len >= 2) {
		link->object_type = buf[1];
		link->last_select_type = buf[1];
	} else if (buf[0] == BDFU_OP_CREATE && len >= 6) {
		link->object_type = buf[1];
		link->last_create_size = (guint32)buf[2] | ((guint32)buf[3] << 8) |
					 ((guint32)buf[4] << 16) | ((guint32)buf[5] << 24);
		if (buf[1] == BDFU_OBJ_COMMAND)
			g_byte_array_set_size(link->init, 0);
		else if (buf[1] == BDFU_OBJ_DATA)
			link->data_offset = link->data_executed; /* the target rewinds (§3.2) */
	}
}

static guint64
bdfu_link_image_size(BdfuLink *link)
{
	g_autoptr(BdfuInitPacket) packet = NULL;
	if (link->image_size != 0 || link->init->len == 0)
		return link->image_size;
	packet = bdfu_init_packet_parse(link->init->data, link->init->len, NULL);
	if (packet != NULL)
		link->image_size = bdfu_init_packet_get_image_size(packet);
	return link->image_size;
}

/* the final Execute: the data object that ends the image. Without the init packet on this
 * link (it was resumed), a short last object is the hint. */
static gboolean
bdfu_link_is_final_execute(BdfuLink *link, const guint8 *buf, gsize len)
{
	guint64 size;
	if (len != 1 || buf[0] != BDFU_OP_EXECUTE || link->object_type != BDFU_OBJ_DATA)
		return FALSE;
	size = bdfu_link_image_size(link);
	if (size != 0)
		return link->data_offset >= size;
	return link->last_create_size != 0 && link->last_create_size < link->max_size &&
	       link->data_offset % link->max_size != 0;
}

static void
bdfu_link_send_request(BdfuLink *link, BdfuLinkPdu *pdu)
{
	BdfuLinkPdu *rsp;
	guint pos = g_queue_get_length(&link->rx);
	guint8 status = 0;
	gboolean final = FALSE;

	switch (pdu->kind) {
	case BDFU_LINK_TX_CTRL:
		bdfu_link_track_request(link, pdu->data, pdu->len);
		final = bdfu_link_is_final_execute(link, pdu->data, pdu->len);
		status = bdfu_target_write_cp(link->target, pdu->data, pdu->len);
		break;
	case BDFU_LINK_TX_BUTTONLESS:
		status = bdfu_target_write_buttonless(link->target, pdu->data, pdu->len);
		break;
	case BDFU_LINK_TX_CCCD_CP:
		bdfu_target_set_cp_notify(link->target, TRUE);
		break;
	case BDFU_LINK_TX_CCCD_BUTTON:
		bdfu_target_set_buttonless_indicate(link->target, TRUE);
		break;
	default:
		break;
	}
	if (final) {
		BdfuFault *fault =
		    bdfu_link_fault(link, BDFU_FAULT_DISCONNECT_BEFORE_FINAL_EXECUTE);
		if (fault != NULL) {
			fault->fired = TRUE;
			bdfu_link_go_down(link, BDFU_LINK_REASON_TIMEOUT, TRUE, FALSE);
			return;
		}
	}
	if (!link->connected)
		return;
	/* the ATT write response goes out before anything the handler notified */
	rsp = bdfu_link_pdu_new(BDFU_LINK_RX_WRITE_RSP, NULL, 0);
	rsp->status = status;
	rsp->silent = pdu->kind == BDFU_LINK_TX_CCCD_CP || pdu->kind == BDFU_LINK_TX_CCCD_BUTTON;
	rsp->queued_at = link->events;
	g_queue_push_nth(&link->rx, rsp, (gint)MIN(pos, g_queue_get_length(&link->rx)));
	link->request_outstanding = TRUE;
}

static void
bdfu_link_send_data(BdfuLink *link, BdfuLinkPdu *pdu)
{
	gboolean is_data = link->object_type == BDFU_OBJ_DATA;
	guint64 start = link->data_offset;
	BdfuFault *fault;

	link->packet_writes++;
	fault = bdfu_link_fault(link, BDFU_FAULT_DROP_PACKET);
	if (fault != NULL && fault->value == link->packet_writes) {
		fault->fired = TRUE;
		return;
	}
	fault = bdfu_link_fault(link, BDFU_FAULT_CORRUPT_BYTE);
	if (is_data && fault != NULL && fault->value >= start && fault->value < start + pdu->len) {
		pdu->data[fault->value - start] ^= 0xFF;
		fault->fired = TRUE;
	}
	if (!is_data && link->init->len + pdu->len <= BDFU_LINK_INIT_MAX)
		g_byte_array_append(link->init, pdu->data, (guint)pdu->len);
	if (!bdfu_target_write_packet(link->target, pdu->data, pdu->len) || !link->connected)
		return;
	if (!is_data) {
		fault = bdfu_link_fault(link, BDFU_FAULT_DISCONNECT_AT_INIT);
		if (fault != NULL) {
			fault->fired = TRUE;
			bdfu_link_go_down(link, BDFU_LINK_REASON_TIMEOUT, TRUE, FALSE);
		}
		return;
	}
	link->data_offset += pdu->len;
	fault = bdfu_link_fault(link, BDFU_FAULT_DISCONNECT_AT_BYTE);
	if (fault != NULL && link->data_offset >= fault->value) {
		fault->fired = TRUE;
		bdfu_link_go_down(link, BDFU_LINK_REASON_TIMEOUT, TRUE, FALSE);
	}
}

/* host to target: up to packets_per_event PDUs in order; a Write Request waits for the
 * answer to the previous one (ATT allows one outstanding request) */
static void
bdfu_link_event_tx(BdfuLink *link)
{
	guint budget = link->config.packets_per_event;

	/* confirmations of indications the host got in the previous event */
	while (link->pending_confirms > 0 && link->connected) {
		link->pending_confirms--;
		bdfu_target_confirm_indication(link->target);
	}
	while (budget > 0 && link->connected && !g_queue_is_empty(&link->tx)) {
		BdfuLinkPdu *pdu = g_queue_peek_head(&link->tx);
		if (pdu->kind != BDFU_LINK_TX_DATA && link->request_outstanding)
			break;
		g_queue_pop_head(&link->tx);
		budget--;
		if (pdu->kind == BDFU_LINK_TX_DATA) {
			link->tx_data--;
			bdfu_link_send_data(link, pdu);
		} else {
			bdfu_link_send_request(link, pdu);
		}
		g_free(pdu);
	}
}

/* target to host: what was queued before this event, up to packets_per_event PDUs. The host
 * may call anything from its callbacks, including bdfu_link_disconnect(). */
static void
bdfu_link_event_rx(BdfuLink *link)
{
	guint budget = link->config.packets_per_event;
	while (budget > 0 && !link->dead && !g_queue_is_empty(&link->rx)) {
		BdfuLinkPdu *pdu = g_queue_peek_head(&link->rx);
		if (pdu->queued_at >= link->events)
			break;
		g_queue_pop_head(&link->rx);
		budget--;
		if (pdu->kind == BDFU_LINK_RX_WRITE_RSP) {
			link->request_outstanding = FALSE;
			if (!pdu->silent && link->cb.ctrl_written != NULL)
				link->cb.ctrl_written(link->user_data, pdu->status);
		} else if (pdu->kind == BDFU_LINK_RX_NOTIFY) {
			if (link->cb.notification != NULL)
				link->cb.notification(link->user_data, pdu->data, pdu->len);
		} else {
			/* the host's ATT layer confirms at once; it reaches the target next event
			 */
			if (link->connected)
				link->pending_confirms++;
			if (link->cb.indication != NULL)
				link->cb.indication(link->user_data, pdu->data, pdu->len);
		}
		g_free(pdu);
	}
}

static void
bdfu_link_deliver_down(BdfuLink *link)
{
	link->down_pending = FALSE;
	link->dead = TRUE;
	bdfu_link_clear_queues(link);
	if (link->cb.disconnected != NULL)
		link->cb.disconnected(link->user_data, link->down_reason);
}

static void
bdfu_link_event(BdfuLink *link)
{
	link->events++;
	bdfu_link_event_tx(link);
	bdfu_link_event_rx(link);
	if (link->dead)
		return;
	if (link->down_pending) {
		if (!link->down_at_next_event || link->events > link->down_event)
			bdfu_link_deliver_down(link);
		return;
	}
	if (link->want_writable && link->connected &&
	    link->tx_data < link->config.tx_queue_packets) {
		link->want_writable = FALSE;
		if (link->cb.writable != NULL)
			link->cb.writable(link->user_data);
	}
}

/* time ------------------------------------------------------------------------------------- */

static guint64
bdfu_link_event_time(BdfuLink *link, guint64 index)
{
	return link->ready_at + index * link->config.connection_interval_us;
}

static gboolean
bdfu_link_has_work(BdfuLink *link)
{
	return !g_queue_is_empty(&link->tx) || !g_queue_is_empty(&link->rx) ||
	       link->pending_confirms > 0 || link->want_writable || link->down_pending;
}

guint64
bdfu_link_next_event_us(BdfuLink *link)
{
	guint64 next;
	g_return_val_if_fail(link != NULL, G_MAXUINT64);
	next = bdfu_target_next_event_us(link->target);
	if (link->dead)
		return next;
	if (link->down_pending && !link->down_at_next_event)
		return MIN(next, link->now);
	if (!link->ready)
		return MIN(next, link->ready_at);
	if (bdfu_link_has_work(link))
		next = MIN(next, bdfu_link_event_time(link, link->events + 1));
	return next;
}

/* idle connection events up to `limit` are only counted */
static void
bdfu_link_skip_idle(BdfuLink *link, guint64 limit)
{
	guint64 iv = link->config.connection_interval_us;
	guint64 last;
	if (limit < link->ready_at)
		return;
	last = (limit - link->ready_at) / iv;
	if (last > link->events)
		link->events = last;
}

void
bdfu_link_advance(BdfuLink *link, guint64 now_us)
{
	g_return_if_fail(link != NULL);

	if (!link->dead && link->down_pending && !link->down_at_next_event)
		bdfu_link_deliver_down(link);
	if (!link->dead && !link->ready && link->connected && now_us >= link->ready_at) {
		bdfu_target_advance(link->target, link->ready_at);
		link->now = MAX(link->now, link->ready_at);
		if (link->connected) {
			link->ready = TRUE;
			if (link->cb.ready != NULL)
				link->cb.ready(link->user_data);
		}
	}
	while (!link->dead && link->ready) {
		guint64 t = bdfu_link_event_time(link, link->events + 1);
		if (t > now_us)
			break;
		if (!bdfu_link_has_work(link)) {
			guint64 target_next = bdfu_target_next_event_us(link->target);
			if (target_next > t) {
				/* nothing can happen before the target acts */
				bdfu_link_skip_idle(
				    link, target_next > now_us ? now_us : target_next - 1);
				continue;
			}
		}
		bdfu_target_advance(link->target, t);
		link->now = MAX(link->now, t);
		bdfu_link_event(link);
	}
	bdfu_target_advance(link->target, now_us);
	link->now = MAX(link->now, now_us);
	if (!link->dead && link->down_pending && !link->down_at_next_event)
		bdfu_link_deliver_down(link);
}
