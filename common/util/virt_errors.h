/*
 * Error numbers and domains of the libvirt interface (virErrorNumber,
 * virErrorDomain).  Clients and scripts match on these values, so they are
 * fixed; tests/unit/test_virt_errors.c checks them against the installed
 * public header.  Only the ones modvirt reports are listed.
 */
#ifndef MV_VIRT_ERRORS_H
#define MV_VIRT_ERRORS_H

enum {
    MV_ERR_OK = 0,
    MV_ERR_INTERNAL_ERROR = 1,
    MV_ERR_NO_MEMORY = 2,
    MV_ERR_NO_SUPPORT = 3,
    MV_ERR_NO_CONNECT = 5,
    MV_ERR_INVALID_CONN = 6,
    MV_ERR_INVALID_DOMAIN = 7,
    MV_ERR_INVALID_ARG = 8,
    MV_ERR_OPERATION_FAILED = 9,
    MV_ERR_XML_ERROR = 27,
    MV_ERR_DOM_EXIST = 28,
    MV_ERR_OPERATION_DENIED = 29,
    MV_ERR_CONF_SYNTAX = 33,
    MV_ERR_SYSTEM_ERROR = 38,
    MV_ERR_RPC = 39,
    MV_ERR_NO_DOMAIN = 42,
    MV_ERR_AUTH_FAILED = 45,
    MV_ERR_OPERATION_INVALID = 55,
    MV_ERR_CONFIG_UNSUPPORTED = 67,
    MV_ERR_ARGUMENT_UNSUPPORTED = 74,
    MV_ERR_OVERFLOW = 82,
    MV_ERR_OPERATION_UNSUPPORTED = 84,
    MV_ERR_ACCESS_DENIED = 88,
};

enum {
    MV_FROM_NONE = 0,
    MV_FROM_DOM = 6,
    MV_FROM_RPC = 7,
    MV_FROM_CONF = 9,
    MV_FROM_QEMU = 10,
    MV_FROM_REMOTE = 13,
    MV_FROM_DOMAIN = 20,
    MV_FROM_SYSINFO = 37,
    MV_FROM_CAPABILITIES = 44,
    MV_FROM_ACCESS = 55,
};

enum {
    MV_ERR_LEVEL_WARNING = 1,
    MV_ERR_LEVEL_ERROR = 2,
};

/* virConnectOpen flags */
#define MV_CONNECT_RO 1u

/* virDrvFeature values clients ask about with CONNECT_SUPPORTS_FEATURE */
enum {
    MV_FEATURE_MIGRATION_V1 = 1,
    MV_FEATURE_REMOTE = 2,
    MV_FEATURE_MIGRATION_V2 = 3,
    MV_FEATURE_MIGRATION_P2P = 4,
    MV_FEATURE_MIGRATION_DIRECT = 5,
    MV_FEATURE_MIGRATION_V3 = 6,
    MV_FEATURE_MIGRATE_CHANGE_PROTECTION = 7,
    MV_FEATURE_FD_PASSING = 8,
    MV_FEATURE_TYPED_PARAM_STRING = 9,
    MV_FEATURE_PROGRAM_KEEPALIVE = 10,
    MV_FEATURE_XML_MIGRATABLE = 11,
    MV_FEATURE_MIGRATION_OFFLINE = 12,
    MV_FEATURE_MIGRATION_PARAMS = 13,
    MV_FEATURE_REMOTE_EVENT_CALLBACK = 14,
    MV_FEATURE_REMOTE_CLOSE_CALLBACK = 15,
    MV_FEATURE_NETWORK_UPDATE_HAS_CORRECT_ORDER = 16,
};

#endif
