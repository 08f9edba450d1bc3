/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mock-bluez.h"

#include <errno.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ERR_FAILED "org.bluez.Error.Failed"
#define ERR_NOT_PERMITTED "org.bluez.Error.NotPermitted"
#define ERR_NOT_SUPPORTED "org.bluez.Error.NotSupported"
#define ERR_IN_PROGRESS "org.bluez.Error.InProgress"
#define ERR_INVALID_ARGS "org.bluez.Error.InvalidArguments"

enum {
	CHR_READ = 1 << 0,
	CHR_WRITE = 1 << 1,
	CHR_WWR = 1 << 2,
	CHR_NOTIFY = 1 << 3,
	CHR_INDICATE = 1 << 4,
};

struct _MockChar {
	MockDevice *dev;
	MockObject *obj;
	const gchar *uuid;
	guint flags;
	GHashTable *sessions; /* sender → GINT_TO_POINTER(registered) */
	gint write_fd;	      /* our end of AcquireWrite's socketpair */
	guint write_watch;
	gint notify_fd; /* our end of AcquireNotify's socketpair */
	guint notify_watch;
	GDBusMethodInvocation *pending; /* a request waiting for its ATT response */
	gchar *pending_error;		/* NULL: success */
	gchar *pending_message;
	gboolean pending_holds;	     /* target events wait for this reply */
	gboolean reply_after_notify; /* fault: the notification goes first */
	guint pending_timer;
};

static MockGattKind
live_kind(MockDevice *dev)
{
	return bdfu_target_get_mode(dev->phys->target) == BDFU_TARGET_MODE_DFU ? MOCK_GATT_DFU
									       : MOCK_GATT_APP;
}

/* a characteristic of the tree the device really has now (not a stale cache entry) */
static gboolean
char_is_live(MockChar *chr)
{
	return chr->dev->link_up && chr->dev->gatt_kind == live_kind(chr->dev);
}

static void
char_set(MockChar *chr, const gchar *name, GVariant *value, gboolean force)
{
	mock_object_set(chr->obj, MOCK_IFACE_CHAR, name, value, force);
}

/* create_gatt_dbus_error() of 5.66 (§5) */
static void
att_error(guint8 status, const gchar **name, const gchar **message, gchar **owned)
{
	switch (status) {
	case 0x02:
		*name = ERR_NOT_PERMITTED, *message = "Read not permitted";
		return;
	case 0x03:
		*name = ERR_NOT_PERMITTED, *message = "Write not permitted";
		return;
	case 0x05:
	case 0x0C:
	case 0x0F:
		*name = ERR_NOT_PERMITTED, *message = "Not paired";
		return;
	case 0x06:
		*name = ERR_NOT_SUPPORTED, *message = "Operation is not supported";
		return;
	case 0x07:
		*name = ERR_INVALID_ARGS, *message = "Invalid offset";
		return;
	case 0x08:
		*name = "org.bluez.Error.NotAuthorized", *message = "Operation Not Authorized";
		return;
	case 0x0D:
		*name = ERR_INVALID_ARGS, *message = "Invalid Length";
		return;
	default:
		*owned = g_strdup_printf("Operation failed with ATT error: 0x%02x", status);
		*name = ERR_FAILED, *message = *owned;
		return;
	}
}

static void
char_reply_pending(MockChar *chr)
{
	MockPhys *phys = chr->dev->phys;
	GDBusMethodInvocation *inv = g_steal_pointer(&chr->pending);
	g_clear_handle_id(&chr->pending_timer, g_source_remove);
	chr->reply_after_notify = FALSE;
	if (inv != NULL) {
		if (chr->pending_error != NULL)
			mock_return_error(
			    chr->dev->mock, inv, chr->pending_error, chr->pending_message);
		else
			g_dbus_method_invocation_return_value(inv, NULL);
	}
	g_clear_pointer(&chr->pending_error, g_free);
	g_clear_pointer(&chr->pending_message, g_free);
	if (chr->pending_holds) {
		chr->pending_holds = FALSE;
		phys->hold--;
		mock_phys_run(phys);
	}
}

static gboolean
pending_timer_cb(gpointer user_data)
{
	MockChar *chr = user_data;
	chr->pending_timer = 0;
	char_reply_pending(chr);
	return G_SOURCE_REMOVE;
}

/* answer after the ATT round trip; `hold` keeps the target's answer behind the reply */
static void
char_defer_reply(MockChar *chr,
		 GDBusMethodInvocation *invocation,
		 const gchar *error,
		 const gchar *message,
		 gboolean hold,
		 guint ms)
{
	chr->pending = invocation;
	chr->pending_error = g_strdup(error);
	chr->pending_message = g_strdup(message);
	chr->pending_holds = hold;
	if (hold)
		chr->dev->phys->hold++;
	chr->pending_timer = g_timeout_add(ms, pending_timer_cb, chr);
}

static void
char_reply_status(MockChar *chr, GDBusMethodInvocation *invocation, guint8 status, gboolean hold)
{
	const gchar *name = NULL;
	const gchar *message = NULL;
	g_autofree gchar *owned = NULL;
	if (status != 0)
		att_error(status, &name, &message, &owned);
	char_defer_reply(
	    chr, invocation, name, message, hold && status == 0, chr->dev->mock->att_ms);
}

static void
char_deliver_packet(MockChar *chr, const guint8 *buf, gsize len)
{
	MockPhys *phys = chr->dev->phys;
	if (!char_is_live(chr) || g_strcmp0(chr->uuid, MOCK_UUID_PACKET) != 0)
		return;
	mock_phys_run(phys);
	phys->in_target = TRUE;
	bdfu_target_write_packet(phys->target, buf, len);
	phys->in_target = FALSE;
	mock_phys_packet_bytes(phys, len);
}

static void
char_release_write(MockChar *chr);
static void
tx_push(MockDevice *dev, MockChar *chr, const guint8 *buf, gsize len, gboolean request);

/* bluetoothd's sock_read: 512-byte buffer, oversize datagrams silently dropped (§3.3) */
static gboolean
char_read_fd(MockChar *chr, GIOCondition condition)
{
	Mock *mock = chr->dev->mock;
	guint8 buf[512];
	for (;;) {
		ssize_t n = recv(chr->write_fd, buf, sizeof(buf), MSG_TRUNC | MSG_DONTWAIT);
		gsize kept;
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			char_release_write(chr);
			return FALSE;
		}
		if (n == 0 && (condition & (G_IO_HUP | G_IO_ERR))) {
			char_release_write(chr);
			return FALSE;
		}
		if ((gsize)n > (gsize)chr->dev->mtu - 3) {
			mock_log(mock,
				 "Datagram %s len=%zd dropped=oversize mtu=%u",
				 mock_object_get_path(chr->obj),
				 n,
				 chr->dev->mtu);
			continue;
		}
		kept = MIN((gsize)n, sizeof(buf));
		mock_log(mock, "Datagram %s len=%zd", mock_object_get_path(chr->obj), n);
		tx_push(chr->dev, chr, buf, kept, FALSE);
	}
	return TRUE;
}

static gboolean
write_fd_cb(gint fd, GIOCondition condition, gpointer user_data)
{
	MockChar *chr = user_data;
	if (!char_read_fd(chr, condition)) {
		chr->write_watch = 0;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static void
char_release_write(MockChar *chr)
{
	if (chr->write_fd < 0)
		return;
	if (chr->write_watch != 0)
		g_source_remove(chr->write_watch);
	chr->write_watch = 0;
	shutdown(chr->write_fd, SHUT_RDWR);
	close(chr->write_fd);
	chr->write_fd = -1;
	if (chr->obj != NULL)
		char_set(chr, "WriteAcquired", g_variant_new_boolean(FALSE), FALSE);
}

static void
char_enable_on_target(MockChar *chr, gboolean enabled)
{
	MockPhys *phys = chr->dev->phys;
	if (!char_is_live(chr))
		return;
	phys->in_target = TRUE;
	if (g_strcmp0(chr->uuid, MOCK_UUID_CP) == 0)
		bdfu_target_set_cp_notify(phys->target, enabled);
	else if (g_strcmp0(chr->uuid, MOCK_UUID_BUTTONLESS) == 0 ||
		 g_strcmp0(chr->uuid, MOCK_UUID_BUTTONLESS_BONDED) == 0)
		bdfu_target_set_buttonless_indicate(phys->target, enabled);
	phys->in_target = FALSE;
}

static void
char_release_notify(MockChar *chr)
{
	if (chr->notify_fd < 0)
		return;
	if (chr->notify_watch != 0)
		g_source_remove(chr->notify_watch);
	chr->notify_watch = 0;
	shutdown(chr->notify_fd, SHUT_RDWR);
	close(chr->notify_fd);
	chr->notify_fd = -1;
	if (chr->obj != NULL) {
		char_set(chr, "NotifyAcquired", g_variant_new_boolean(FALSE), FALSE);
		if (g_hash_table_size(chr->sessions) == 0)
			char_enable_on_target(chr, FALSE);
	}
}

static gboolean
notify_fd_cb(gint fd, GIOCondition condition, gpointer user_data)
{
	MockChar *chr = user_data;
	chr->notify_watch = 0;
	char_release_notify(chr);
	return G_SOURCE_REMOVE;
}

static gboolean
bonded_without_bond(MockChar *chr)
{
	return g_strcmp0(chr->uuid, MOCK_UUID_BUTTONLESS_BONDED) == 0 &&
	       !chr->dev->phys->host_bonded;
}

/* options of characteristic_write_value / read_value: only type (s) and offset (q) count */
static gboolean
parse_options(GVariant *options, const gchar **type, guint16 *offset)
{
	GVariantIter iter;
	const gchar *key;
	GVariant *value;
	gboolean ok = TRUE;
	g_variant_iter_init(&iter, options);
	while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
		if (g_strcmp0(key, "offset") == 0) {
			if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT16))
				*offset = g_variant_get_uint16(value);
			else
				ok = FALSE;
		} else if (g_strcmp0(key, "type") == 0 && type != NULL) {
			if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING))
				*type = g_variant_get_string(value, NULL);
			else
				ok = FALSE;
		}
		g_variant_unref(value);
	}
	return ok;
}

/* a request reaching the target; chr->pending holds its invocation */
static void
char_process_request(MockChar *chr, const guint8 *buf, gsize len)
{
	MockPhys *phys = chr->dev->phys;
	guint8 status;
	const gchar *name = NULL;
	const gchar *message = NULL;
	g_autofree gchar *owned = NULL;

	mock_phys_run(phys);
	phys->in_target = TRUE;
	if (g_strcmp0(chr->uuid, MOCK_UUID_CP) == 0)
		status = bdfu_target_write_cp(phys->target, buf, len);
	else
		status = bdfu_target_write_buttonless(phys->target, buf, len);
	phys->in_target = FALSE;
	if (status == 0 && phys->notify_before_reply && g_strcmp0(chr->uuid, MOCK_UUID_CP) == 0) {
		/* the reply waits for the response notification (§3.6), at most 2 s */
		chr->reply_after_notify = TRUE;
		chr->pending_timer = g_timeout_add(2000, pending_timer_cb, chr);
	} else {
		if (status != 0)
			att_error(status, &name, &message, &owned);
		chr->pending_error = g_strdup(name);
		chr->pending_message = g_strdup(message);
		chr->pending_holds = status == 0;
		if (chr->pending_holds)
			phys->hold++;
		chr->pending_timer = g_timeout_add(chr->dev->mock->att_ms, pending_timer_cb, chr);
	}
	mock_phys_run(phys);
}

typedef struct {
	MockChar *chr;
	GBytes *data;
	gboolean request;
} MockTx;

static void
tx_free(MockTx *tx)
{
	g_bytes_unref(tx->data);
	g_free(tx);
}

/* one connection event: up to packets-per-event Write Commands, or one request */
static gboolean
tx_event_cb(gpointer user_data)
{
	MockDevice *dev = user_data;
	guint budget = dev->phys->packets_per_event;
	MockTx *tx;

	while (budget > 0 && dev->tx_timer != 0 && (tx = g_queue_pop_head(&dev->txq)) != NULL) {
		gsize len;
		const guint8 *buf = g_bytes_get_data(tx->data, &len);
		if (tx->request) {
			char_process_request(tx->chr, buf, len);
			tx_free(tx);
			break;
		}
		char_deliver_packet(tx->chr, buf, len);
		tx_free(tx);
		budget--;
	}
	if (dev->tx_timer == 0)
		return G_SOURCE_REMOVE; /* the link went down meanwhile */
	mock_phys_run(dev->phys);
	if (g_queue_is_empty(&dev->txq)) {
		dev->tx_timer = 0;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* bluetoothd's ATT queue is unbounded; the radio drains it per connection event */
static void
tx_push(MockDevice *dev, MockChar *chr, const guint8 *buf, gsize len, gboolean request)
{
	MockTx *tx = g_new0(MockTx, 1);
	tx->chr = chr;
	tx->data = g_bytes_new(buf, len);
	tx->request = request;
	g_queue_push_tail(&dev->txq, tx);
	if (dev->tx_timer == 0)
		dev->tx_timer = g_timeout_add(dev->phys->connection_interval_ms, tx_event_cb, dev);
}

void
mock_gatt_tx_clear(MockDevice *dev)
{
	g_clear_handle_id(&dev->tx_timer, g_source_remove);
	g_queue_clear_full(&dev->txq, (GDestroyNotify)tx_free);
}

static void
char_write_value(MockChar *chr, GVariant *params, GDBusMethodInvocation *invocation)
{
	MockDevice *dev = chr->dev;
	Mock *mock = dev->mock;
	g_autoptr(GVariant) value = g_variant_get_child_value(params, 0);
	g_autoptr(GVariant) options = g_variant_get_child_value(params, 1);
	const gchar *type = NULL;
	guint16 offset = 0;
	gsize len = 0;
	const guint8 *buf = g_variant_get_fixed_array(value, &len, 1);
	gboolean command;

	if (!dev->link_up) {
		mock_return_error(mock, invocation, ERR_FAILED, "Not connected");
		return;
	}
	if (chr->write_fd >= 0) {
		mock_return_error(mock, invocation, ERR_NOT_PERMITTED, "Write acquired");
		return;
	}
	if (chr->pending != NULL) {
		mock_return_error(mock, invocation, ERR_IN_PROGRESS, "In Progress");
		return;
	}
	if (!parse_options(options, &type, &offset)) {
		mock_return_error(
		    mock, invocation, ERR_INVALID_ARGS, "Invalid arguments in method call");
		return;
	}
	if (type == NULL)
		type = (chr->flags & CHR_WRITE) ? "request"
		       : (chr->flags & CHR_WWR) ? "command"
						: "";
	if (g_ascii_strcasecmp(type, "command") == 0) {
		command = TRUE;
	} else if (g_ascii_strcasecmp(type, "request") == 0 ||
		   g_ascii_strcasecmp(type, "reliable") == 0) {
		command = FALSE;
	} else {
		mock_return_error(
		    mock, invocation, ERR_NOT_SUPPORTED, "Operation is not supported");
		return;
	}
	if (command) {
		/* 5.66 does not check Flags for an explicit type; bt_att_send refuses > MTU */
		if (offset != 0) {
			mock_return_error(
			    mock, invocation, ERR_NOT_SUPPORTED, "Operation is not supported");
			return;
		}
		if (len > (gsize)dev->mtu - 3) {
			mock_return_error(mock, invocation, ERR_FAILED, "Failed to initiate write");
			return;
		}
		g_dbus_method_invocation_return_value(invocation, NULL);
		if (chr->flags & CHR_WWR)
			tx_push(dev, chr, buf, len, FALSE);
		return;
	}
	/* a request: a long (prepared) write when it does not fit; the target refuses those */
	if (!char_is_live(chr)) {
		char_reply_status(chr, invocation, 0x01, FALSE);
		return;
	}
	if (len > (gsize)dev->mtu - 3 || offset != 0) {
		char_reply_status(chr, invocation, offset != 0 ? 0x07 : 0x0D, FALSE);
		return;
	}
	if (!(chr->flags & CHR_WRITE)) {
		char_reply_status(chr, invocation, 0x03, FALSE);
		return;
	}
	if (bonded_without_bond(chr)) {
		char_reply_status(chr, invocation, 0x05, FALSE);
		return;
	}
	/* the request goes out after the commands queued before it (FIFO, §3.6) */
	chr->pending = invocation;
	if (g_queue_is_empty(&dev->txq))
		char_process_request(chr, buf, len);
	else
		tx_push(dev, chr, buf, len, TRUE);
}

static void
char_read_value(MockChar *chr, GVariant *params, GDBusMethodInvocation *invocation)
{
	MockDevice *dev = chr->dev;
	Mock *mock = dev->mock;
	g_autoptr(GVariant) options = g_variant_get_child_value(params, 0);
	guint16 offset = 0;
	g_autofree gchar *text =
	    dev->phys->fw_revision != NULL
		? g_strdup(dev->phys->fw_revision)
		: g_strdup_printf("app v%u", bdfu_target_get_app_version(dev->phys->target));
	gsize len;

	if (!dev->link_up) {
		mock_return_error(mock, invocation, ERR_FAILED, "Not connected");
		return;
	}
	if (!parse_options(options, NULL, &offset)) {
		mock_return_error(
		    mock, invocation, ERR_INVALID_ARGS, "Invalid arguments in method call");
		return;
	}
	if (!char_is_live(chr)) {
		char_reply_status(chr, invocation, 0x01, FALSE);
		return;
	}
	if (!(chr->flags & CHR_READ)) {
		char_reply_status(chr, invocation, 0x02, FALSE);
		return;
	}
	len = strlen(text);
	if (offset > len) {
		char_reply_status(chr, invocation, 0x07, FALSE);
		return;
	}
	/* the result is also written to Value and signalled (§3.5) */
	char_set(chr,
		 "Value",
		 g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, text + offset, len - offset, 1),
		 TRUE);
	g_dbus_method_invocation_return_value(
	    invocation,
	    g_variant_new(
		"(@ay)",
		g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, text + offset, len - offset, 1)));
}

static gboolean
make_socketpair(gint fds[2], GError **error)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0) {
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errno),
			    "socketpair: %s",
			    g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

static void
reply_fd(GDBusMethodInvocation *invocation, gint fd, guint16 mtu)
{
	g_autoptr(GUnixFDList) list = g_unix_fd_list_new();
	gint index = g_unix_fd_list_append(list, fd, NULL);
	close(fd);
	g_dbus_method_invocation_return_value_with_unix_fd_list(
	    invocation, g_variant_new("(hq)", index, mtu), list);
}

static void
char_acquire(MockChar *chr, const gchar *method, GDBusMethodInvocation *invocation)
{
	MockDevice *dev = chr->dev;
	Mock *mock = dev->mock;
	gboolean write = g_strcmp0(method, "AcquireWrite") == 0;
	g_autoptr(GError) error = NULL;
	gint fds[2];

	if (write && dev->phys->acquire_write_missing) {
		/* BlueZ before 5.46 */
		mock_return_error(mock,
				  invocation,
				  "org.freedesktop.DBus.Error.UnknownMethod",
				  "Method \"AcquireWrite\" with signature \"a{sv}\" on interface "
				  "\"org.bluez.GattCharacteristic1\" doesn't exist");
		return;
	}
	if (write ? !(chr->flags & CHR_WWR) : !(chr->flags & CHR_NOTIFY)) {
		/* 5.66 AcquireNotify wants notify: indicate-only gets NotSupported (§3.4) */
		mock_return_error(
		    mock, invocation, ERR_NOT_SUPPORTED, "Operation is not supported");
		return;
	}
	if (write ? chr->write_fd >= 0 : chr->notify_fd >= 0) {
		mock_return_error(mock,
				  invocation,
				  ERR_NOT_PERMITTED,
				  write ? "Write acquired" : "Notify acquired");
		return;
	}
	if (!write && g_hash_table_size(chr->sessions) > 0) {
		mock_return_error(mock, invocation, ERR_IN_PROGRESS, "In Progress");
		return;
	}
	if (!dev->resolved) {
		mock_return_error(mock, invocation, ERR_FAILED, "Not connected");
		return;
	}
	if (!make_socketpair(fds, &error)) {
		mock_return_error(mock, invocation, ERR_FAILED, error->message);
		return;
	}
	if (write) {
		chr->write_fd = fds[0];
		chr->write_watch =
		    g_unix_fd_add(fds[0], G_IO_IN | G_IO_HUP | G_IO_ERR, write_fd_cb, chr);
		char_set(chr, "WriteAcquired", g_variant_new_boolean(TRUE), FALSE);
	} else {
		chr->notify_fd = fds[0];
		chr->notify_watch = g_unix_fd_add(fds[0], G_IO_HUP | G_IO_ERR, notify_fd_cb, chr);
		char_set(chr, "NotifyAcquired", g_variant_new_boolean(TRUE), FALSE);
		char_enable_on_target(chr, TRUE);
	}
	mock_log(mock, "# %s: %s fd, mtu %u", mock_object_get_path(chr->obj), method, dev->mtu);
	reply_fd(invocation, fds[1], dev->mtu);
}

static void
char_start_notify(MockChar *chr, GDBusMethodInvocation *invocation)
{
	MockDevice *dev = chr->dev;
	Mock *mock = dev->mock;
	const gchar *sender = g_dbus_method_invocation_get_sender(invocation);
	gpointer registered;

	if (!(chr->flags & (CHR_NOTIFY | CHR_INDICATE))) {
		mock_return_error(
		    mock, invocation, ERR_NOT_SUPPORTED, "Operation is not supported");
		return;
	}
	if (chr->notify_fd >= 0) {
		mock_return_error(mock, invocation, ERR_NOT_PERMITTED, "Notify acquired");
		return;
	}
	if (g_hash_table_lookup_extended(chr->sessions, sender, NULL, &registered)) {
		/* a session waiting to be re-armed after a reconnect (§3.5) */
		if (GPOINTER_TO_INT(registered))
			g_dbus_method_invocation_return_value(invocation, NULL);
		else
			mock_return_error(mock, invocation, ERR_IN_PROGRESS, "In Progress");
		return;
	}
	if (!dev->link_up) {
		/* armed when the device reconnects */
		g_hash_table_insert(chr->sessions, g_strdup(sender), GINT_TO_POINTER(FALSE));
		g_dbus_method_invocation_return_value(invocation, NULL);
		return;
	}
	if (bonded_without_bond(chr)) {
		char_reply_status(chr, invocation, 0x05, FALSE);
		return;
	}
	if (!char_is_live(chr)) {
		mock_return_error(
		    mock, invocation, ERR_FAILED, "Failed to register notify session");
		return;
	}
	g_hash_table_insert(chr->sessions, g_strdup(sender), GINT_TO_POINTER(TRUE));
	char_enable_on_target(chr, TRUE);
	char_set(chr, "Notifying", g_variant_new_boolean(TRUE), FALSE);
	/* the reply comes with the CCCD write response */
	char_defer_reply(chr, invocation, NULL, NULL, FALSE, mock->att_ms);
}

static void
char_stop_notify(MockChar *chr, GDBusMethodInvocation *invocation)
{
	Mock *mock = chr->dev->mock;
	const gchar *sender = g_dbus_method_invocation_get_sender(invocation);
	if (!g_hash_table_remove(chr->sessions, sender)) {
		mock_return_error(mock, invocation, ERR_FAILED, "No notify session started");
		return;
	}
	if (g_hash_table_size(chr->sessions) == 0) {
		char_set(chr, "Notifying", g_variant_new_boolean(FALSE), FALSE);
		char_enable_on_target(chr, FALSE);
	}
	g_dbus_method_invocation_return_value(invocation, NULL);
}

static void
char_method(MockObject *obj,
	    const gchar *iface,
	    const gchar *method,
	    GVariant *params,
	    GDBusMethodInvocation *invocation,
	    gpointer user_data)
{
	MockChar *chr = user_data;
	if (g_strcmp0(method, "WriteValue") == 0)
		char_write_value(chr, params, invocation);
	else if (g_strcmp0(method, "ReadValue") == 0)
		char_read_value(chr, params, invocation);
	else if (g_strcmp0(method, "AcquireWrite") == 0 || g_strcmp0(method, "AcquireNotify") == 0)
		char_acquire(chr, method, invocation);
	else if (g_strcmp0(method, "StartNotify") == 0)
		char_start_notify(chr, invocation);
	else if (g_strcmp0(method, "StopNotify") == 0)
		char_stop_notify(chr, invocation);
	else
		g_dbus_method_invocation_return_dbus_error(
		    invocation, "org.freedesktop.DBus.Error.UnknownMethod", "Unknown method");
}

static MockObject *
service_new(MockDevice *dev, guint handle, const gchar *uuid)
{
	g_autofree gchar *path =
	    g_strdup_printf("%s/service%04x", mock_object_get_path(dev->obj), handle);
	MockObject *obj = mock_object_new(dev->mock, path);
	const gchar *none[] = {NULL};
	mock_object_add_iface(obj, MOCK_IFACE_SERVICE, NULL, NULL, NULL);
	mock_object_set(obj, MOCK_IFACE_SERVICE, "UUID", g_variant_new_string(uuid), FALSE);
	mock_object_set(obj,
			MOCK_IFACE_SERVICE,
			"Device",
			g_variant_new_object_path(mock_object_get_path(dev->obj)),
			FALSE);
	mock_object_set(obj, MOCK_IFACE_SERVICE, "Primary", g_variant_new_boolean(TRUE), FALSE);
	mock_object_set(obj, MOCK_IFACE_SERVICE, "Includes", g_variant_new_objv(none, 0), FALSE);
	g_ptr_array_add(dev->gatt_objs, obj);
	mock_object_export(obj);
	return obj;
}

static void
char_new(MockDevice *dev, MockObject *service, guint handle, const gchar *uuid, guint flags)
{
	MockChar *chr = g_new0(MockChar, 1);
	g_autofree gchar *path =
	    g_strdup_printf("%s/char%04x", mock_object_get_path(service), handle);
	g_autoptr(GPtrArray) names = g_ptr_array_new();

	chr->dev = dev;
	chr->uuid = uuid;
	chr->flags = flags;
	chr->write_fd = -1;
	chr->notify_fd = -1;
	chr->sessions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	chr->obj = mock_object_new(dev->mock, path);
	mock_object_add_iface(chr->obj, MOCK_IFACE_CHAR, char_method, NULL, chr);
	if (flags & CHR_READ)
		g_ptr_array_add(names, "read");
	if (flags & CHR_WWR)
		g_ptr_array_add(names, "write-without-response");
	if (flags & CHR_WRITE)
		g_ptr_array_add(names, "write");
	if (flags & CHR_NOTIFY)
		g_ptr_array_add(names, "notify");
	if (flags & CHR_INDICATE)
		g_ptr_array_add(names, "indicate");
	char_set(chr, "UUID", g_variant_new_string(uuid), FALSE);
	char_set(chr, "Service", g_variant_new_object_path(mock_object_get_path(service)), FALSE);
	char_set(chr, "Value", g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, NULL, 0, 1), FALSE);
	if (flags & CHR_WWR)
		char_set(chr, "WriteAcquired", g_variant_new_boolean(FALSE), FALSE);
	if (flags & CHR_NOTIFY)
		char_set(chr, "NotifyAcquired", g_variant_new_boolean(FALSE), FALSE);
	if (flags & (CHR_NOTIFY | CHR_INDICATE))
		char_set(chr, "Notifying", g_variant_new_boolean(FALSE), FALSE);
	char_set(chr,
		 "Flags",
		 g_variant_new_strv((const gchar *const *)names->pdata, names->len),
		 FALSE);
	if (dev->link_up && dev->mtu != 0)
		char_set(chr, "MTU", g_variant_new_uint16(dev->mtu), FALSE);
	g_ptr_array_add(dev->gatt_objs, chr->obj);
	g_ptr_array_add(dev->chars, chr);
	mock_object_export(chr->obj);
}

void
mock_gatt_export(MockDevice *dev, MockGattKind kind)
{
	GVariant *uuids;
	g_autoptr(GPtrArray) list = g_ptr_array_new();
	g_autofree const gchar **old = NULL;

	if (kind == MOCK_GATT_APP) {
		MockObject *dis = service_new(dev, 0x000a, MOCK_UUID_DIS);
		MockObject *dfu;
		char_new(dev, dis, 0x000b, MOCK_UUID_FW_REVISION, CHR_READ);
		dfu = service_new(dev, 0x000d, MOCK_UUID_DFU_SERVICE);
		char_new(dev,
			 dfu,
			 0x000e,
			 dev->phys->config.bonded ? MOCK_UUID_BUTTONLESS_BONDED
						  : MOCK_UUID_BUTTONLESS,
			 CHR_WRITE | CHR_INDICATE);
	} else if (kind == MOCK_GATT_DFU) {
		/* Packet is added before the Control Point (PROTOCOL §1.1) */
		MockObject *dfu = service_new(dev, 0x0008, MOCK_UUID_DFU_SERVICE);
		char_new(dev, dfu, 0x0009, MOCK_UUID_PACKET, CHR_WWR);
		char_new(dev, dfu, 0x000b, MOCK_UUID_CP, CHR_WRITE | CHR_NOTIFY);
	}
	dev->gatt_kind = kind;
	/* Device1.UUIDs is the union of advertised and resolved services */
	uuids = mock_object_get(dev->obj, MOCK_IFACE_DEVICE, "UUIDs");
	old = uuids != NULL ? g_variant_get_strv(uuids, NULL) : NULL;
	for (guint i = 0; old != NULL && old[i] != NULL; i++)
		g_ptr_array_add(list, (gpointer)old[i]);
	if (kind == MOCK_GATT_APP &&
	    !g_ptr_array_find_with_equal_func(list, MOCK_UUID_DIS, g_str_equal, NULL))
		g_ptr_array_add(list, MOCK_UUID_DIS);
	if (!g_ptr_array_find_with_equal_func(list, MOCK_UUID_DFU_SERVICE, g_str_equal, NULL))
		g_ptr_array_add(list, MOCK_UUID_DFU_SERVICE);
	mock_object_set(dev->obj,
			MOCK_IFACE_DEVICE,
			"UUIDs",
			g_variant_new_strv((const gchar *const *)list->pdata, list->len),
			FALSE);
}

static void
char_free(MockChar *chr, gboolean signal)
{
	char_release_write(chr);
	char_release_notify(chr);
	if (chr->pending != NULL) {
		chr->pending_error = (g_free(chr->pending_error), g_strdup(ERR_FAILED));
		chr->pending_message = (g_free(chr->pending_message), g_strdup("Operation failed"));
		if (signal)
			char_reply_pending(chr);
		else
			g_clear_object(&chr->pending);
	}
	if (chr->pending_holds) {
		chr->dev->phys->hold--;
		chr->pending_holds = FALSE;
	}
	g_clear_handle_id(&chr->pending_timer, g_source_remove);
	g_free(chr->pending_error);
	g_free(chr->pending_message);
	g_hash_table_unref(chr->sessions);
	g_free(chr);
}

void
mock_gatt_unexport(MockDevice *dev, gboolean signal)
{
	mock_gatt_tx_clear(dev);
	/* characteristics first, then the services, as their objects nest */
	for (guint i = 0; i < dev->chars->len; i++) {
		MockChar *chr = g_ptr_array_index(dev->chars, i);
		MockObject *obj = chr->obj;
		g_ptr_array_remove(dev->gatt_objs, obj);
		char_free(chr, signal);
		mock_object_destroy(obj, signal);
	}
	g_ptr_array_set_size(dev->chars, 0);
	for (guint i = 0; i < dev->gatt_objs->len; i++)
		mock_object_destroy(g_ptr_array_index(dev->gatt_objs, i), signal);
	g_ptr_array_set_size(dev->gatt_objs, 0);
	dev->gatt_kind = MOCK_GATT_NONE;
}

void
mock_gatt_link_up(MockDevice *dev)
{
	mock_log(dev->mock, "# %s: MTU %u", dev->address, dev->mtu);
	for (guint i = 0; i < dev->chars->len; i++)
		char_set(
		    g_ptr_array_index(dev->chars, i), "MTU", g_variant_new_uint16(dev->mtu), FALSE);
}

void
mock_gatt_link_down(MockDevice *dev)
{
	/* a link loss discards whatever is queued (§3.8) */
	mock_gatt_tx_clear(dev);
	for (guint i = 0; i < dev->chars->len; i++) {
		MockChar *chr = g_ptr_array_index(dev->chars, i);
		GHashTableIter iter;
		gpointer key;
		/* btd_gatt_client_disconnected: fds shut, notify_id cleared, MTU gone (§2.6) */
		char_release_write(chr);
		char_release_notify(chr);
		if (chr->pending != NULL) {
			g_free(chr->pending_error);
			g_free(chr->pending_message);
			chr->pending_error = g_strdup(ERR_FAILED);
			chr->pending_message = g_strdup("Operation failed");
			char_reply_pending(chr);
		}
		g_hash_table_iter_init(&iter, chr->sessions);
		while (g_hash_table_iter_next(&iter, &key, NULL))
			g_hash_table_iter_replace(&iter, GINT_TO_POINTER(FALSE));
		mock_object_unset(chr->obj, MOCK_IFACE_CHAR, "MTU");
	}
}

void
mock_gatt_rearm_notify(MockDevice *dev)
{
	for (guint i = 0; i < dev->chars->len; i++) {
		MockChar *chr = g_ptr_array_index(dev->chars, i);
		GHashTableIter iter;
		gpointer key;
		if (g_hash_table_size(chr->sessions) == 0 || !char_is_live(chr))
			continue;
		g_hash_table_iter_init(&iter, chr->sessions);
		while (g_hash_table_iter_next(&iter, &key, NULL))
			g_hash_table_iter_replace(&iter, GINT_TO_POINTER(TRUE));
		mock_log(
		    dev->mock, "# %s: notify session re-armed", mock_object_get_path(chr->obj));
		char_enable_on_target(chr, TRUE);
	}
}

void
mock_gatt_deliver_value(MockDevice *dev, const gchar *uuid, const guint8 *buf, gsize len)
{
	for (guint i = 0; i < dev->chars->len; i++) {
		MockChar *chr = g_ptr_array_index(dev->chars, i);
		if (g_strcmp0(chr->uuid, uuid) != 0 || !char_is_live(chr))
			continue;
		{
			g_autofree gchar *hex = g_strnfill(len * 2, '0');
			for (gsize k = 0; k < len; k++)
				g_snprintf(hex + k * 2, 3, "%02x", buf[k]);
			mock_log(dev->mock, "Value %s %s", mock_object_get_path(chr->obj), hex);
		}
		if (chr->notify_fd >= 0) {
			if (send(chr->notify_fd, buf, len, MSG_DONTWAIT) < 0)
				mock_log(
				    dev->mock, "# notification dropped: %s", g_strerror(errno));
		} else {
			char_set(chr,
				 "Value",
				 g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, buf, len, 1),
				 TRUE);
		}
		if (chr->reply_after_notify)
			char_reply_pending(chr);
		return;
	}
	mock_log(dev->mock, "# %s: value for %s lost (no such characteristic)", dev->address, uuid);
}

void
mock_gatt_client_vanished(MockDevice *dev, const gchar *sender)
{
	for (guint i = 0; i < dev->chars->len; i++) {
		MockChar *chr = g_ptr_array_index(dev->chars, i);
		if (g_hash_table_remove(chr->sessions, sender) &&
		    g_hash_table_size(chr->sessions) == 0) {
			char_set(chr, "Notifying", g_variant_new_boolean(FALSE), FALSE);
			char_enable_on_target(chr, FALSE);
		}
	}
}
