"""FIX tag numbers and message types by name, as the parser keys fields: text ("17", "AE").

Taken from simplefix.constants wherever it has the tag (its values are bytes; `recon.fix` splits
messages into str keys). The few tags and message types simplefix does not name are spelled out
below them, from the FIX 4.4 dictionary.
"""

from __future__ import annotations

from simplefix import constants as _c


def _s(value: bytes) -> str:
    return value.decode()


# ---- header and session -----------------------------------------------------------------------
BEGIN_STRING = _s(_c.TAG_BEGINSTRING)  # 8
BODY_LENGTH = _s(_c.TAG_BODYLENGTH)  # 9
CHECKSUM = _s(_c.TAG_CHECKSUM)  # 10
MSG_TYPE = _s(_c.TAG_MSGTYPE)  # 35
MSG_SEQ_NUM = _s(_c.TAG_MSGSEQNUM)  # 34
SENDER_COMP_ID = _s(_c.TAG_SENDER_COMPID)  # 49
TARGET_COMP_ID = _s(_c.TAG_TARGET_COMPID)  # 56
SENDING_TIME = _s(_c.TAG_SENDING_TIME)  # 52
POSS_DUP_FLAG = _s(_c.TAG_POSSDUPFLAG)  # 43
POSS_RESEND = _s(_c.TAG_POSSRESEND)  # 97
ORIG_SENDING_TIME = _s(_c.TAG_ORIGSENDINGTIME)  # 122
BEGIN_SEQ_NO = _s(_c.TAG_BEGINSEQNO)  # 7
END_SEQ_NO = _s(_c.TAG_ENDSEQNO)  # 16
NEW_SEQ_NO = _s(_c.TAG_NEWSEQNO)  # 36
GAP_FILL_FLAG = _s(_c.TAG_GAPFILLFLAG)  # 123
RESET_SEQ_NUM_FLAG = _s(_c.TAG_RESETSEQNUMFLAG)  # 141
ENCRYPT_METHOD = _s(_c.TAG_ENCRYPTMETHOD)  # 98
HEART_BT_INT = _s(_c.TAG_HEARTBTINT)  # 108
TEST_REQ_ID = _s(_c.TAG_TESTREQID)  # 112
TEXT = _s(_c.TAG_TEXT)  # 58

# ---- message types ------------------------------------------------------------------------------
HEARTBEAT = _s(_c.MSGTYPE_HEARTBEAT)  # 0
TEST_REQUEST = _s(_c.MSGTYPE_TEST_REQUEST)  # 1
RESEND_REQUEST = _s(_c.MSGTYPE_RESEND_REQUEST)  # 2
REJECT = _s(_c.MSGTYPE_REJECT)  # 3
SEQUENCE_RESET = _s(_c.MSGTYPE_SEQUENCE_RESET)  # 4
LOGOUT = _s(_c.MSGTYPE_LOGOUT)  # 5
LOGON = _s(_c.MSGTYPE_LOGON)  # A
EXECUTION_REPORT = _s(_c.MSGTYPE_EXECUTION_REPORT)  # 8
TRADE_CAPTURE_REPORT = _s(_c.MSGTYPE_TRADE_CAPTURE_REPORT)  # AE
ALLOCATION_INSTRUCTION = _s(_c.MSGTYPE_ALLOCATION)  # J
ALLOCATION_REPORT = _s(_c.MSGTYPE_ALLOCATION_REPORT)  # AS
CONFIRMATION = _s(_c.MSGTYPE_CONFIRMATION)  # AK

# ---- trade fields -------------------------------------------------------------------------------
ACCOUNT = _s(_c.TAG_ACCOUNT)  # 1
AVG_PX = _s(_c.TAG_AVGPX)  # 6
CL_ORD_ID = _s(_c.TAG_CLORDID)  # 11
COMMISSION = _s(_c.TAG_COMMISSION)  # 12
COMM_TYPE = _s(_c.TAG_COMMTYPE)  # 13
CURRENCY = _s(_c.TAG_CURRENCY)  # 15
EXEC_ID = _s(_c.TAG_EXECID)  # 17
EXEC_REF_ID = _s(_c.TAG_EXECREFID)  # 19
EXEC_TRANS_TYPE = _s(_c.TAG_EXECTRANSTYPE)  # 20
SECURITY_ID_SOURCE = _s(_c.TAG_SECURITYIDSOURCE)  # 22
LAST_MKT = _s(_c.TAG_LASTMKT)  # 30
LAST_PX = _s(_c.TAG_LASTPX)  # 31
LAST_QTY = _s(_c.TAG_LASTQTY)  # 32
ORDER_ID = _s(_c.TAG_ORDERID)  # 37
SECURITY_ID = _s(_c.TAG_SECURITY_ID)  # 48
SIDE = _s(_c.TAG_SIDE)  # 54
SYMBOL = _s(_c.TAG_SYMBOL)  # 55
TRANSACT_TIME = _s(_c.TAG_TRANSACTTIME)  # 60
SETTL_DATE = _s(_c.TAG_SETTLDATE)  # 64
ALLOC_ID = _s(_c.TAG_ALLOCID)  # 70
ALLOC_TRANS_TYPE = _s(_c.TAG_ALLOCTRANSTYPE)  # 71
REF_ALLOC_ID = _s(_c.TAG_REFALLOCID)  # 72
NO_ORDERS = _s(_c.TAG_NOORDERS)  # 73
TRADE_DATE = _s(_c.TAG_TRADEDATE)  # 75
POSITION_EFFECT = _s(_c.TAG_OPENCLOSE)  # 77 (OpenClose in FIX 4.2)
NO_ALLOCS = _s(_c.TAG_NOALLOCS)  # 78
ALLOC_ACCOUNT = _s(_c.TAG_ALLOCACCOUNT)  # 79
ALLOC_QTY = _s(_c.TAG_ALLOCSHARES)  # 80 (AllocShares in FIX 4.2)
ALLOC_STATUS = _s(_c.TAG_ALLOCSTATUS)  # 87
NET_MONEY = _s(_c.TAG_NETMONEY)  # 118
EXEC_TYPE = _s(_c.TAG_EXECTYPE)  # 150
SECURITY_TYPE = _s(_c.TAG_SECURITYTYPE)  # 167

# Not in simplefix.constants.
NO_MISC_FEES = "136"
MISC_FEE_AMT = "137"
ALLOC_AVG_PX = "153"
ALLOC_NET_MONEY = "154"
MATURITY_MONTH_YEAR = "200"
PUT_OR_CALL = "201"
STRIKE_PRICE = "202"
SECURITY_EXCHANGE = "207"
GROSS_TRADE_AMT = "381"
TRADE_REPORT_TRANS_TYPE = "487"
MATURITY_DATE = "541"
NO_SIDES = "552"
NO_LEGS = "555"
TRADE_REPORT_ID = "571"
TRADE_REPORT_REF_ID = "572"
CONFIRM_ID = "664"
CONFIRM_TRANS_TYPE = "666"
NO_UNDERLYINGS = "711"
ALLOC_REPORT_ID = "755"
CONFIRM_REF_ID = "772"
CONFIRM_TYPE = "773"
ALLOC_REPORT_REF_ID = "795"


def group_key(count_tag: str) -> str:
    """The key under which split_fields keeps a repeating group's entries ("552" -> "552[]")."""
    return count_tag + "[]"
