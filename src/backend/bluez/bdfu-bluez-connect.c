/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "bdfu-bluez"

#include "backend/bluez/bdfu-bluez-private.h"
#include "bluedfu/bdfu-error.h"

#include <string.h>

/* Device1.Connect returns when ATT is up, not when GATT is ready: wait for ServicesResolved
 * (which may come after the reply), and retry the failures BlueZ reports for a flaky radio
 * (BLUEZ.md §2.1, §2.4). */

#define BDFU_BLUEZ_CONNECT_ATTEMPTS 4
#define BDFU_BLUEZ_BACKOFF_MS 500
#define BDFU_BLUEZ_DOWN_WAIT_MS 5000
#define BDFU_BLUEZ_SETTLE_MS 2000

typedef enum {
	BDFU_BLUEZ_CONNECT_IDLE,
	BDFU_BLUEZ_CONNECT_CALLING,   /* Device1.Connect in flight */
	BDFU_BLUEZ_CONNECT_RESOLVING, /* waiting for ServicesResolved */
	BDFU_BLUEZ_CONNECT_SETTLING,  /* waiting for a stale tree to be replaced */
	BDFU_BLUEZ_CONNECT_DOWN_WAIT, /* waiting for Connected=false before a retry */
	BDFU_BLUEZ_CONNECT_BACKOFF,
} BdfuBluezConnectPhase;

typedef struct {
	BdfuBluezBackend *backend;
	GDBusObjectManager *manager;
	gchar *address;
	gchar *device_path;
	BdfuBluezConnectPhase phase;
	guint attempt;
	guint generation; /* replies of an abandoned attempt are ignored */
	guint timer_id;
	gulong sig_props;
	gulong sig_removed;
	gulong sig_iface_added;
	gulong sig_iface_removed;
	gulong sig_object_added;
	gulong cancel_id;
	guint cancel_idle_id;
	gboolean expect_dfu;
	gboolean settle_retried;
	gboolean done;
} BdfuBluezConnect;

static void
bdfu_bluez_connect_free(BdfuBluezConnect *ctx)
{
	g_clear_object(&ctx->manager);
	g_object_unref(ctx->backend);
	g_free(ctx->address);
	g_free(ctx->device_path);
	g_free(ctx);
}

static void
bdfu_bluez_connect_attempt(GTask *task);

static void
bdfu_bluez_connect_cleanup(BdfuBluezConnect *ctx, GTask *task)
{
	ctx->done = TRUE;
	g_clear_handle_id(&ctx->timer_id, g_source_remove);
	g_clear_handle_id(&ctx->cancel_idle_id, g_source_remove);
	if (ctx->manager != NULL) {
		g_clear_signal_handler(&ctx->sig_props, ctx->manager);
		g_clear_signal_handler(&ctx->sig_removed, ctx->manager);
		g_clear_signal_handler(&ctx->sig_iface_added, ctx->manager);
		g_clear_signal_handler(&ctx->sig_iface_removed, ctx->manager);
		g_clear_signal_handler(&ctx->sig_object_added, ctx->manager);
	}
	if (ctx->cancel_id != 0) {
		g_cancellable_disconnect(g_task_get_cancellable(task), ctx->cancel_id);
		ctx->cancel_id = 0;
	}
}

static void
bdfu_bluez_connect_send_disconnect(BdfuBluezConnect *ctx)
{
	g_dbus_connection_call(bdfu_bluez_backend_get_bus(ctx->backend),
			       BDFU_BLUEZ_SERVICE,
			       ctx->device_path,
			       BDFU_BLUEZ_DEVICE_IFACE,
			       "Disconnect",
			       NULL,
			       NULL,
			       G_DBUS_CALL_FLAGS_NONE,
			       BDFU_BLUEZ_SHORT_CALL_MS,
			       NULL,
			       NULL,
			       NULL);
}

/* every exit goes through one of these two, once; each drops the reference taken at start */
static void
bdfu_bluez_connect_fail(GTask *task, GError *error)
{
	BdfuBluezConnect *ctx = g_task_get_task_data(task);
	g_autoptr(GDBusObject) device = NULL;

	if (ctx->done) {
		g_error_free(error);
		return;
	}
	/* a half-open link or a pending attempt must not outlive us */
	if (ctx->device_path != NULL && ctx->manager != NULL) {
		device = g_dbus_object_manager_get_object(ctx->manager, ctx->device_path);
		if (ctx->phase == BDFU_BLUEZ_CONNECT_CALLING ||
		    bdfu_bluez_object_get_boolean(device, BDFU_BLUEZ_DEVICE_IFACE, "Connected"))
			bdfu_bluez_connect_send_disconnect(ctx);
	}
	bdfu_bluez_connect_cleanup(ctx, task);
	g_task_return_error(task, error);
	g_object_unref(task);
}

static void
bdfu_bluez_connect_succeed(GTask *task, BdfuBluezConnection *conn)
{
	BdfuBluezConnect *ctx = g_task_get_task_data(task);
	if (ctx->done) {
		g_object_unref(conn);
		return;
	}
	bdfu_bluez_connect_cleanup(ctx, task);
	g_task_return_pointer(task, conn, g_object_unref);
	g_object_unref(task);
}

static GDBusObject *
bdfu_bluez_connect_get_device(BdfuBluezConnect *ctx)
{
	return g_dbus_object_manager_get_object(ctx->manager, ctx->device_path);
}

/* retries ------------------------------------------------------------------------------------- */

static gboolean
bdfu_bluez_connect_is_retryable(const GError *error)
{
	/* not NotReady, UnknownObject or the authentication errors (BLUEZ.md §2.4) */
	return bdfu_bluez_error_is(error, "org.bluez.Error.Failed", NULL) ||
	       bdfu_bluez_error_is(error, "org.bluez.Error.InProgress", NULL) ||
	       bdfu_bluez_error_is(error, "org.bluez.Error.NotConnected", NULL) ||
	       g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) ||
	       g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
	       g_error_matches(error, BDFU_ERROR, BDFU_ERROR_TIMEOUT) ||
	       g_error_matches(error, BDFU_ERROR, BDFU_ERROR_CONNECTION_FAILED);
}

static gboolean
bdfu_bluez_connect_backoff_cb(gpointer user_data)
{
	GTask *task = G_TASK(user_data);
	BdfuBluezConnect *ctx = g_task_get_task_data(task);
	ctx->timer_id = 0;
	bdfu_bluez_connect_attempt(task);
	return G_SOURCE_REMOVE;
}

static void
bdfu_bluez_connect_backoff(GTask *task)
{
	BdfuBluezConnect *ctx = g_task_get_task_data(task);
	g_clear_handle_id(&ctx->timer_id, g_source_remove);
	ctx->phase = BDFU_BLUEZ_CONNECT_BACKOFF;
	/* 0.5 s, 1 s, 2 s */
	ctx->timer_id = g_timeout_add(
	    BDFU_BLUEZ_BACKOFF_MS << MIN(ctx->attempt - 1, 3), bdfu_bluez_connect_backoff_cb, task);
}

static gboolean
bdfu_bluez_connect_down_timeout_cb(gpointer user_data)
{
	GTask *task = G_TASK(user_data);
	BdfuBluezConnect *ctx = g_task_get_task_data(task);
	ctx->timer_id = 0;
	bdfu_bluez_connect_backoff(task);
	return G_SOURCE_REMOVE;
}

/* the attempt failed with `error` (consumed): retry if it is worth it */
static void
bdfu_bluez_connect_retry(GTask *task, GError *error)
{
	BdfuBluezConnect *ctx = g_task_get_task_data(task);
	g_autoptr(GDBusObject) device = bdfu_bluez_connect_get_device(ctx);
	const gchar *adapter = bdfu_bluez_backend_get_adapter_name(ctx->backend);

	g_clear_handle_id(&ctx->timer_id, g_source_remove);
	ctx->generation++;
	if (!bdfu_bluez_connect_is_retryable(error) ||
	    ctx->attempt >= BDFU_BLUEZ_CONNECT_ATTEMPTS || device == NULL) {
		g_autoptr(GError) converted = NULL;
		g_autofree gchar *what =
		    g_strdup_printf("cannot connect to %s%s",
				    ctx->address,
				    ctx->attempt > 1 ? " (after retries)" : "");
		if (device == NULL &&
		    !g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT))
			converted =
			    g_error_new(BDFU_ERROR,
					BDFU_ERROR_NOT_FOUND,
					"%s: the device vanished from BlueZ.\nFix: check that "
					"it still advertises, then retry",
					what);
		else
			converted = bdfu_bluez_error_convert(error, what, adapter);
		if (converted->code == BDFU_ERROR_TIMEOUT || converted->code == BDFU_ERROR_FAILED)
			converted->code = BDFU_ERROR_CONNECTION_FAILED;
		g_error_free(error);
		bdfu_bluez_connect_fail(task, g_steal_pointer(&converted));
		return;
	}
	g_debug("connect %s attempt %u failed: %s", ctx->address, ctx->attempt, error->message);
	g_error_free(error);
	/* the link often comes up briefly: let it go down before the next try (bleak #1255) */
	if (bdfu_bluez_object_get_boolean(device, BDFU_BLUEZ_DEVICE_IFACE, "Connected")) {
		ctx->phase = BDFU_BLUEZ_CONNECT_DOWN_WAIT;
		bdfu_bluez_connect_send_disconnect(ctx);
		ctx->timer_id = g_timeout_add(
		    BDFU_BLUEZ_DOWN_WAIT_MS, bdfu_bluez_connect_down_timeout_cb, task);
		return;
	}
	bdfu_bluez_connect_backoff(task);
}

/* resolved ------------------------------------------------------------------------------------- */

static gboolean
bdfu_bluez_connect_settle_timeout_cb(gpointer user_data);

static void
bdfu_bluez_connect_check_tree(GTask *task, gboolean final)
{
	BdfuBluezConnect *ctx = g_task_get_task_data(task);
	g_autoptr(GDBusObject) device = bdfu_bluez_connect_get_device(ctx);
	BdfuDeviceMode mode = BDFU_DEVICE_MODE_UNKNOWN;

	if (device != NULL)
		mode = bdfu_bluez_device_get_mode(ctx->manager, device, BDFU_BLUEZ_MODE_GATT);
	/* a stale cached tree (bonded bootloader, same address) is replaced after Service
	 * Changed, possibly after ServicesResolved (BLUEZ.md §2.7): give it a moment */
	if (ctx->expect_dfu && mode != BDFU_DEVICE_MODE_DFU && !final) {
		if (ctx->phase != BDFU_BLUEZ_CONNECT_SETTLING) {
			ctx->phase = BDFU_BLUEZ_CONNECT_SETTLING;
			ctx->timer_id = g_timeout_add(
			    BDFU_BLUEZ_SETTLE_MS, bdfu_bluez_connect_settle_timeout_cb, task);
		}
		return;
	}
	if (ctx->expect_dfu && mode != BDFU_DEVICE_MODE_DFU && !ctx->settle_retried) {
		/* reconnect once; then hand over what is there and let the caller explain */
		ctx->settle_retried = TRUE;
		bdfu_bluez_connect_send_disconnect(ctx);
		bdfu_bluez_connect_retry(
		    task,
		    g_error_new_literal(BDFU_ERROR,
					BDFU_ERROR_CONNECTION_FAILED,
					"the GATT table shows no DFU service"));
		return;
	}
	bdfu_bluez_backend_set_gatt_stale(ctx->backend, ctx->address, FALSE);
	bdfu_bluez_connect_succeed(
	    task, bdfu_bluez_connection_new(ctx->backend, ctx->device_path, ctx->address));
}

static gboolean
bdfu_bluez_connect_settle_timeout_cb(gpointer user_data)
{
	GTask *task = G_TASK(user_data);
	BdfuBluezConnect *ctx = g_task_get_task_data(task);
	ctx->timer_id = 0;
	bdfu_bluez_connect_check_tree(task, TRUE);
	return G_SOURCE_REMOVE;
}

static gboolean
bdfu_bluez_connect_resolve_timeout_cb(gpointer user_data)
{
	GTask *task = G_TASK(user_data);
	BdfuBluezConnect *ctx = g_task_get_task_data(task);
	ctx->timer_id = 0;
	bdfu_bluez_connect_send_disconnect(ctx);
	bdfu_bluez_connect_retry(task,
				 g_error_new(BDFU_ERROR,
					     BDFU_ERROR_TIMEOUT,
					     "the services of %s were not resolved within %u s",
					     ctx->address,
					     BDFU_BLUEZ_RESOLVE_MS / 1000));
	return G_SOURCE_REMOVE;
}

static void
bdfu_bluez_connect_resolved(GTask *task)
{
	BdfuBluezConnect *ctx = g_task_get_task_data(task);
	g_clear_handle_id(&ctx->timer_id, g_source_remove);
	ctx->phase = BDFU_BLUEZ_CONNECT_RESOLVING;
	bdfu_bluez_connect_check_tree(task, FALSE);
}

/* signals ----------------------------------------------------------------------------------------
 */

static void
bdfu_bluez_connect_props_cb(GDBusObjectManagerClient *manager,
			    GDBusObjectProxy *object,
			    GDBusProxy *proxy,
			    GVariant *changed,
			    const gchar *const *invalidated,
			    gpointer user_data)
{
	GTask *task = G_TASK(user_data);
	BdfuBluezConnect *ctx = g_task_get_task_data(task);
	gboolean value = FALSE;

	if (ctx->done ||
	    g_strcmp0(g_dbus_object_get_object_path(G_DBUS_OBJECT(object)), ctx->device_path) !=
		0 ||
	    g_strcmp0(g_dbus_proxy_get_interface_name(proxy), BDFU_BLUEZ_DEVICE_IFACE) != 0)
		return;
	if (g_variant_lookup(changed, "Connected", "b", &value) && !value) {
		switch (ctx->phase) {
		case BDFU_BLUEZ_CONNECT_DOWN_WAIT:
			bdfu_bluez_connect_backoff(task);
			return;
		case BDFU_BLUEZ_CONNECT_RESOLVING:
		case BDFU_BLUEZ_CONNECT_SETTLING:
			bdfu_bluez_connect_retry(
			    task,
			    g_error_new(BDFU_ERROR,
					BDFU_ERROR_CONNECTION_FAILED,
					"%s dropped the link while its services "
					"were being resolved",
					ctx->address));
			return;
		default:
			return;
		}
	}
	if (g_variant_lookup(changed, "ServicesResolved", "b", &value) && value &&
	    ctx->phase == BDFU_BLUEZ_CONNECT_RESOLVING)
		bdfu_bluez_connect_resolved(task);
}

static void
bdfu_bluez_connect_tree_changed(GTask *task, GDBusObject *object)
{
	BdfuBluezConnect *ctx = g_task_get_task_data(task);
	const gchar *path = g_dbus_object_get_object_path(object);

	if (ctx->done || ctx->phase != BDFU_BLUEZ_CONNECT_SETTLING ||
	    !g_str_has_prefix(path, ctx->device_path))
		return;
	bdfu_bluez_connect_check_tree(task, FALSE);
}

static void
bdfu_bluez_connect_iface_cb(GDBusObjectManager *manager,
			    GDBusObject *object,
			    GDBusInterface *iface,
			    gpointer user_data)
{
	bdfu_bluez_connect_tree_changed(G_TASK(user_data), object);
}

static void
bdfu_bluez_connect_added_cb(GDBusObjectManager *manager, GDBusObject *object, gpointer user_data)
{
	bdfu_bluez_connect_tree_changed(G_TASK(user_data), object);
}

static void
bdfu_bluez_connect_removed_cb(GDBusObjectManager *manager, GDBusObject *object, gpointer user_data)
{
	GTask *task = G_TASK(user_data);
	BdfuBluezConnect *ctx = g_task_get_task_data(task);

	if (ctx->done)
		return;
	if (g_strcmp0(g_dbus_object_get_object_path(object), ctx->device_path) == 0) {
		/* InterfacesRemoved without Connected=false happens too (bleak) */
		bdfu_bluez_connect_fail(
		    task,
		    g_error_new(BDFU_ERROR,
				BDFU_ERROR_NOT_FOUND,
				"cannot connect to %s: the device vanished from "
				"BlueZ.\nFix: check that it still advertises, "
				"then retry",
				ctx->address));
		return;
	}
	bdfu_bluez_connect_tree_changed(task, object);
}

/* one attempt
 * -------------------------------------------------------------------------------------- */

typedef struct {
	GTask *task;
	guint generation;
} BdfuBluezConnectReply;

static void
bdfu_bluez_connect_reply_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	BdfuBluezConnectReply *reply_ctx = user_data;
	g_autoptr(GTask) task = reply_ctx->task;
	BdfuBluezConnect *ctx = g_task_get_task_data(task);
	guint generation = reply_ctx->generation;
	GError *error = NULL;
	g_autoptr(GVariant) reply =
	    g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
	g_autoptr(GDBusObject) device = NULL;

	g_free(reply_ctx);
	if (ctx->done || generation != ctx->generation) {
		g_clear_error(&error);
		return;
	}
	if (reply == NULL) {
		/* NoReply: the kernel may still be connecting; Disconnect cancels it */
		if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) ||
		    bdfu_bluez_error_is(error, "org.bluez.Error.Failed", "already in progress"))
			bdfu_bluez_connect_send_disconnect(ctx);
		bdfu_bluez_connect_retry(task, error);
		return;
	}
	ctx->phase = BDFU_BLUEZ_CONNECT_RESOLVING;
	device = bdfu_bluez_connect_get_device(ctx);
	if (bdfu_bluez_object_get_boolean(device, BDFU_BLUEZ_DEVICE_IFACE, "ServicesResolved")) {
		bdfu_bluez_connect_resolved(task);
		return;
	}
	ctx->timer_id =
	    g_timeout_add(BDFU_BLUEZ_RESOLVE_MS, bdfu_bluez_connect_resolve_timeout_cb, task);
}

static void
bdfu_bluez_connect_attempt(GTask *task)
{
	BdfuBluezConnect *ctx = g_task_get_task_data(task);
	g_autoptr(GDBusObject) device = bdfu_bluez_connect_get_device(ctx);
	BdfuBluezConnectReply *reply_ctx;

	if (ctx->done)
		return;
	if (device == NULL) {
		bdfu_bluez_connect_fail(
		    task,
		    g_error_new(BDFU_ERROR,
				BDFU_ERROR_NOT_FOUND,
				"cannot connect to %s: the device vanished from "
				"BlueZ.\nFix: check that it still advertises, "
				"then retry",
				ctx->address));
		return;
	}
	ctx->attempt++;
	/* somebody (maybe BlueZ itself) already holds the link (BLUEZ.md §2.1) */
	if (bdfu_bluez_object_get_boolean(device, BDFU_BLUEZ_DEVICE_IFACE, "Connected") &&
	    bdfu_bluez_object_get_boolean(device, BDFU_BLUEZ_DEVICE_IFACE, "ServicesResolved")) {
		bdfu_bluez_connect_resolved(task);
		return;
	}
	ctx->phase = BDFU_BLUEZ_CONNECT_CALLING;
	reply_ctx = g_new0(BdfuBluezConnectReply, 1);
	reply_ctx->task = g_object_ref(task);
	reply_ctx->generation = ctx->generation;
	g_dbus_connection_call(bdfu_bluez_backend_get_bus(ctx->backend),
			       BDFU_BLUEZ_SERVICE,
			       ctx->device_path,
			       BDFU_BLUEZ_DEVICE_IFACE,
			       "Connect",
			       NULL,
			       NULL,
			       G_DBUS_CALL_FLAGS_NONE,
			       BDFU_BLUEZ_CONNECT_CALL_MS,
			       NULL,
			       bdfu_bluez_connect_reply_cb,
			       reply_ctx);
}

/* start -------------------------------------------------------------------------------------------
 */

static gboolean
bdfu_bluez_connect_cancel_idle_cb(gpointer user_data)
{
	GTask *task = G_TASK(user_data);
	BdfuBluezConnect *ctx = g_task_get_task_data(task);
	ctx->cancel_idle_id = 0;
	bdfu_bluez_connect_fail(
	    task,
	    g_error_new(
		BDFU_ERROR, BDFU_ERROR_CANCELLED, "connecting to %s was cancelled", ctx->address));
	return G_SOURCE_REMOVE;
}

static void
bdfu_bluez_connect_cancelled_cb(GCancellable *cancellable, gpointer user_data)
{
	GTask *task = G_TASK(user_data);
	BdfuBluezConnect *ctx = g_task_get_task_data(task);
	ctx->cancel_idle_id = bdfu_bluez_task_idle_add(task, bdfu_bluez_connect_cancel_idle_cb);
}

static void
bdfu_bluez_connect_ready_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	BdfuBluezConnect *ctx = g_task_get_task_data(task);
	GError *error = NULL;
	g_autoptr(GDBusObject) device = NULL;

	if (!bdfu_bluez_backend_ensure_finish(ctx->backend, res, &error)) {
		bdfu_bluez_connect_fail(task, error);
		return;
	}
	if (ctx->done)
		return;
	ctx->manager = g_object_ref(bdfu_bluez_backend_get_manager(ctx->backend));
	device = bdfu_bluez_backend_find_device(ctx->backend, ctx->address);
	if (device == NULL) {
		bdfu_bluez_connect_fail(
		    task,
		    g_error_new(BDFU_ERROR,
				BDFU_ERROR_NOT_FOUND,
				"BlueZ does not know %s on %s.\nFix: scan first "
				"(`bluedfu scan`) while the device advertises",
				ctx->address,
				bdfu_bluez_backend_get_adapter_name(ctx->backend)));
		return;
	}
	ctx->device_path = g_strdup(g_dbus_object_get_object_path(device));
	ctx->expect_dfu = bdfu_bluez_backend_get_expect_dfu(ctx->backend, ctx->address);
	ctx->sig_props = g_signal_connect(ctx->manager,
					  "interface-proxy-properties-changed",
					  G_CALLBACK(bdfu_bluez_connect_props_cb),
					  task);
	ctx->sig_removed = g_signal_connect(
	    ctx->manager, "object-removed", G_CALLBACK(bdfu_bluez_connect_removed_cb), task);
	ctx->sig_iface_added = g_signal_connect(
	    ctx->manager, "interface-added", G_CALLBACK(bdfu_bluez_connect_iface_cb), task);
	ctx->sig_iface_removed = g_signal_connect(
	    ctx->manager, "interface-removed", G_CALLBACK(bdfu_bluez_connect_iface_cb), task);
	ctx->sig_object_added = g_signal_connect(
	    ctx->manager, "object-added", G_CALLBACK(bdfu_bluez_connect_added_cb), task);
	bdfu_bluez_connect_attempt(task);
}

void
bdfu_bluez_connection_connect_async(BdfuBluezBackend *backend,
				    const gchar *address,
				    GCancellable *cancellable,
				    GAsyncReadyCallback callback,
				    gpointer user_data)
{
	GTask *task = g_task_new(backend, cancellable, callback, user_data);
	BdfuBluezConnect *ctx = g_new0(BdfuBluezConnect, 1);
	gchar norm[18];

	g_task_set_source_tag(task, bdfu_bluez_connection_connect_async);
	g_task_set_check_cancellable(task, FALSE);
	ctx->backend = g_object_ref(backend);
	g_task_set_task_data(task, ctx, (GDestroyNotify)bdfu_bluez_connect_free);
	if (!bdfu_address_normalize(address, norm)) {
		ctx->done = TRUE;
		g_task_return_new_error(task,
					BDFU_ERROR,
					BDFU_ERROR_INVALID_ARGUMENT,
					"'%s' is not a Bluetooth address (AA:BB:CC:DD:EE:FF)",
					address);
		g_object_unref(task);
		return;
	}
	ctx->address = g_strdup(norm);
	if (cancellable != NULL)
		ctx->cancel_id = g_cancellable_connect(
		    cancellable, G_CALLBACK(bdfu_bluez_connect_cancelled_cb), task, NULL);
	/* one reference lives until the result is returned, the other rides the call */
	bdfu_bluez_backend_ensure_async(
	    backend, NULL, bdfu_bluez_connect_ready_cb, g_object_ref(task));
}

BdfuConnection *
bdfu_bluez_connection_connect_finish(GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}
