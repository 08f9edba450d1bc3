/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "bdfu-bluez"

#include "backend/bluez/bdfu-bluez-private.h"
#include "bluedfu/bdfu-error.h"

#include <string.h>

gboolean
bdfu_bluez_error_is(const GError *error, const gchar *name, const gchar *message)
{
	g_autofree gchar *remote = NULL;
	g_autoptr(GError) copy = NULL;

	if (error == NULL || !g_dbus_error_is_remote_error(error))
		return FALSE;
	remote = g_dbus_error_get_remote_error(error);
	/* ConnectDevice's failure path says "org.bluez.Failed" (BLUEZ.md §1.8) */
	if (name != NULL && g_strcmp0(remote, name) != 0 &&
	    !(g_str_has_suffix(name, ".Failed") && g_strcmp0(remote, "org.bluez.Failed") == 0))
		return FALSE;
	if (message == NULL)
		return TRUE;
	copy = g_error_copy(error);
	g_dbus_error_strip_remote_error(copy);
	return strstr(copy->message, message) != NULL;
}

typedef struct {
	const gchar *name;
	const gchar *message; /* substring, NULL = any */
	BdfuError code;
	const gchar *fix; /* %s = adapter */
} BdfuBluezErrorMap;

static const BdfuBluezErrorMap bdfu_bluez_error_map[] = {
    {"org.bluez.Error.NotReady",
     NULL,
     BDFU_ERROR_FAILED,
     "adapter %s is not powered: run `bluetoothctl power on`"},
    {"org.freedesktop.DBus.Error.UnknownObject",
     NULL,
     BDFU_ERROR_NOT_FOUND,
     "the object vanished from BlueZ on %s (the device stopped advertising or was removed): scan "
     "again"},
    {"org.freedesktop.DBus.Error.ServiceUnknown",
     NULL,
     BDFU_ERROR_FAILED,
     "bluetoothd is not running: start it with `systemctl start bluetooth`"},
    {"org.freedesktop.DBus.Error.NameHasNoOwner",
     NULL,
     BDFU_ERROR_FAILED,
     "bluetoothd is not running: start it with `systemctl start bluetooth`"},
    {"org.freedesktop.DBus.Error.AccessDenied",
     NULL,
     BDFU_ERROR_NOT_AUTHORIZED,
     "the D-Bus policy refuses access to org.bluez: check /etc/dbus-1/system.d/bluetooth.conf "
     "or add the user to the bluetooth group"},
    {"org.freedesktop.DBus.Error.LimitsExceeded",
     NULL,
     BDFU_ERROR_FAILED,
     "too many calls are pending on the system bus: retry with a smaller --prn"},
    {"org.freedesktop.DBus.Error.NoReply",
     NULL,
     BDFU_ERROR_TIMEOUT,
     "bluetoothd did not answer in time: check `journalctl -u bluetooth` and retry"},
    {"org.freedesktop.DBus.Error.UnknownMethod",
     NULL,
     BDFU_ERROR_NOT_SUPPORTED,
     "this BlueZ lacks the method: use BlueZ 5.66 or newer"},
    {"org.bluez.Error.NotPermitted",
     "Not paired",
     BDFU_ERROR_NOT_AUTHORIZED,
     "the device requires an encrypted link: pair it first (`bluetoothctl pair <address>`)"},
    {"org.bluez.Error.NotPermitted",
     "acquired",
     BDFU_ERROR_FAILED,
     "another program holds the characteristic: stop other Bluetooth tools talking to the "
     "device"},
    {"org.bluez.Error.NotPermitted",
     NULL,
     BDFU_ERROR_CONNECTION_FAILED,
     "the device refused the operation: its GATT table may be stale; power-cycle it and retry"},
    {"org.bluez.Error.NotAuthorized",
     NULL,
     BDFU_ERROR_NOT_AUTHORIZED,
     "the device refused the operation: check its security settings"},
    {"org.bluez.Error.AuthenticationFailed",
     NULL,
     BDFU_ERROR_NOT_AUTHORIZED,
     "pairing failed: remove the bond on both sides (`bluetoothctl remove <address>`) and pair "
     "again"},
    {"org.bluez.Error.AuthenticationCanceled",
     NULL,
     BDFU_ERROR_NOT_AUTHORIZED,
     "pairing was cancelled: retry"},
    {"org.bluez.Error.AuthenticationRejected",
     NULL,
     BDFU_ERROR_NOT_AUTHORIZED,
     "the device rejected pairing: it may still hold an old bond; clear it on the device"},
    {"org.bluez.Error.AuthenticationTimeout",
     NULL,
     BDFU_ERROR_NOT_AUTHORIZED,
     "pairing timed out: move closer and retry"},
    {"org.bluez.Error.ConnectionAttemptFailed",
     NULL,
     BDFU_ERROR_CONNECTION_FAILED,
     "the device did not answer: move closer and retry"},
    {"org.bluez.Error.NotSupported",
     NULL,
     BDFU_ERROR_NOT_SUPPORTED,
     "the device does not support the operation: its GATT table may be stale; power-cycle it "
     "and retry"},
    {"org.bluez.Error.InvalidArguments",
     "Invalid Length",
     BDFU_ERROR_CONNECTION_FAILED,
     "the device refused the length of the write: retry with a smaller --mtu"},
    {"org.bluez.Error.InProgress",
     NULL,
     BDFU_ERROR_CONNECTION_FAILED,
     "another operation on the device is still running: stop other Bluetooth tools and retry"},
    {"org.bluez.Error.NotConnected",
     NULL,
     BDFU_ERROR_CONNECTION_FAILED,
     "the device is disconnecting: retry"},
    {"org.bluez.Error.DoesNotExist",
     NULL,
     BDFU_ERROR_NOT_FOUND,
     "the device is gone from BlueZ on %s: scan again"},
    {"org.bluez.Error.Failed",
     "0xfd",
     BDFU_ERROR_PROTOCOL,
     "the device wants notifications enabled first (ATT error 0xFD): retry"},
    {"org.bluez.Error.Failed",
     NULL,
     BDFU_ERROR_CONNECTION_FAILED,
     "move the device closer, check it is advertising and retry"},
};

GError *
bdfu_bluez_error_convert(const GError *error, const gchar *what, const gchar *adapter)
{
	g_autofree gchar *remote = NULL;
	g_autoptr(GError) copy = NULL;
	g_autofree gchar *fix = NULL;
	const gchar *ad = adapter != NULL ? adapter : "the adapter";

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return g_error_new(BDFU_ERROR, BDFU_ERROR_CANCELLED, "%s: cancelled", what);
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
		return g_error_new(BDFU_ERROR,
				   BDFU_ERROR_TIMEOUT,
				   "%s: bluetoothd did not answer in time.\nFix: check "
				   "`journalctl -u bluetooth` and retry",
				   what);
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CLOSED))
		return g_error_new(BDFU_ERROR,
				   BDFU_ERROR_FAILED,
				   "%s: the connection to the system bus was closed",
				   what);
	if (error->domain == BDFU_ERROR)
		return g_error_new(BDFU_ERROR, error->code, "%s: %s", what, error->message);
	if (!g_dbus_error_is_remote_error(error))
		return g_error_new(BDFU_ERROR, BDFU_ERROR_FAILED, "%s: %s", what, error->message);

	remote = g_dbus_error_get_remote_error(error);
	copy = g_error_copy(error);
	g_dbus_error_strip_remote_error(copy);
	for (guint i = 0; i < G_N_ELEMENTS(bdfu_bluez_error_map); i++) {
		const BdfuBluezErrorMap *map = &bdfu_bluez_error_map[i];
		if (!bdfu_bluez_error_is(error, map->name, map->message))
			continue;
			/* the format carries at most one %s, always the adapter */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		fix = g_strdup_printf(map->fix, ad);
#pragma GCC diagnostic pop
		return g_error_new(BDFU_ERROR,
				   map->code,
				   "%s: %s: %s.\nFix: %s",
				   what,
				   remote,
				   copy->message,
				   fix);
	}
	return g_error_new(
	    BDFU_ERROR, BDFU_ERROR_FAILED, "%s: %s: %s", what, remote, copy->message);
}
