"""The fixed part of the demo data: the two operators, their areas and station sites, the pile
models they run, their tariffs, and the people and texts that appear in the generated rows.

Sites are real places (city-centre car parks, malls, transport hubs) with their coordinates in
WGS 84 and the IANA zone of the city. They are listed so that the first few of each operator
already span several areas and time zones: the tiny and small scales take a prefix of the list.
"""

from dataclasses import dataclass
from datetime import time
from decimal import Decimal

from accounts.choices import Currency, Role
from maintenance.choices import ErrorCode
from orders.choices import PaymentMethod, StopReason
from piles.choices import ChargingMethod, ConnectorType

DEMO_PASSWORD = "chargeops-demo"
# What the list of logins says of a driver: where they sign in, not a role.
DRIVER_LOGIN = "Driver (portal: /drive/)"


@dataclass(frozen=True)
class Site:
    code: str
    area: str
    name: str
    address: str
    latitude: str
    longitude: str
    time_zone: str


# Stations that close at night (a car park's hours, a mall's); the others never close.
OPENING_HOURS = {
    "NY": "Mon–Sun 06:00–24:00",
    "SF": "Mon–Fri 07:00–22:00, Sat–Sun 09:00–20:00",
    "BO": "Mon–Sat 06:00–23:00",
    "HZ": "每天 07:00–23:00",
    "NJ": "周一至周五 08:00–22:00",
}


@dataclass(frozen=True)
class PileModel:
    manufacturer: str
    model: str
    method: ChargingMethod
    rated_kw: Decimal
    voltage: tuple[int, int]
    connectors: tuple[ConnectorType, ...]
    firmware: tuple[str, ...]
    serial_prefix: str
    share: int  # how common the model is among the operator's piles


@dataclass(frozen=True)
class DemoUser:
    suffix: str
    role: Role
    first_name: str
    last_name: str


@dataclass(frozen=True)
class OperatorSpec:
    name: str
    currency: Currency
    time_zone: str
    country: str  # prefix of charge point ids
    user_prefix: str
    areas: tuple[tuple[str, str], ...]  # (name, description)
    sites: tuple[Site, ...]
    pile_models: tuple[PileModel, ...]
    tariff_name: str
    # (start, electricity price, service fee) per period; the older schedule, then the current one.
    tariff_old: tuple[tuple[time, str, str], ...]
    tariff_new: tuple[tuple[time, str, str], ...]
    payments: tuple[tuple[PaymentMethod, int], ...]
    busyness: float  # sessions per gun relative to the other operator
    weekday_factor: tuple[float, ...]  # Monday first
    hours_weekday: tuple[float, ...]  # relative starts per local hour
    hours_weekend: tuple[float, ...]
    vehicle_ac_kw: tuple[float, ...]  # on-board charger limits of the cars that come by
    vehicle_dc_kw: tuple[float, ...]
    users: tuple[DemoUser, ...]
    holders: tuple[str, ...]
    card_prefix: str
    app_prefix: str


# fmt: off
US_SITES = (
    Site("LV", "Nevada", "Las Vegas Fremont Street", "450 Fremont St, Las Vegas, NV 89101",
         "36.169130", "-115.140920", "America/Los_Angeles"),
    Site("NY", "East Coast", "New York Hudson Yards", "500 W 33rd St, New York, NY 10001",
         "40.753800", "-74.000900", "America/New_York"),
    Site("SF", "Bay Area", "San Francisco Fifth & Mission", "833 Mission St, San Francisco, CA 94103",
         "37.783300", "-122.405900", "America/Los_Angeles"),
    Site("DN", "Central & Mountain", "Denver Union Station", "1701 Wynkoop St, Denver, CO 80202",
         "39.753000", "-105.000200", "America/Denver"),
    Site("SE", "Pacific Northwest", "Seattle South Lake Union", "401 Terry Ave N, Seattle, WA 98109",
         "47.622600", "-122.337000", "America/Los_Angeles"),
    Site("CH", "Central & Mountain", "Chicago River North", "20 W Kinzie St, Chicago, IL 60654",
         "41.889300", "-87.628400", "America/Chicago"),
    Site("HD", "Nevada", "Henderson Galleria", "1300 W Sunset Rd, Henderson, NV 89014",
         "36.064400", "-115.038600", "America/Los_Angeles"),
    Site("BO", "East Coast", "Boston Seaport", "100 Northern Ave, Boston, MA 02210",
         "42.350300", "-71.044600", "America/New_York"),
    Site("SJ", "Bay Area", "San Jose Santana Row", "377 Santana Row, San Jose, CA 95128",
         "37.320800", "-121.947600", "America/Los_Angeles"),
    Site("BS", "Pacific Northwest", "Boise Downtown", "800 W Main St, Boise, ID 83702",
         "43.615500", "-116.203700", "America/Boise"),
    Site("DL", "Central & Mountain", "Dallas Uptown", "2500 Cedar Springs Rd, Dallas, TX 75201",
         "32.797800", "-96.804500", "America/Chicago"),
    Site("RN", "Nevada", "Reno Downtown", "50 N Sierra St, Reno, NV 89501",
         "39.526800", "-119.814300", "America/Los_Angeles"),
    Site("PH", "East Coast", "Philadelphia Center City", "1500 Market St, Philadelphia, PA 19102",
         "39.952600", "-75.166100", "America/New_York"),
    Site("PA", "Bay Area", "Palo Alto Bryant Street", "445 Bryant St, Palo Alto, CA 94301",
         "37.445600", "-122.161400", "America/Los_Angeles"),
    Site("PO", "Pacific Northwest", "Portland Pearl District", "1120 NW Couch St, Portland, OR 97209",
         "45.523800", "-122.682400", "America/Los_Angeles"),
    Site("SL", "Central & Mountain", "Salt Lake City Downtown", "50 S Main St, Salt Lake City, UT 84101",
         "40.768900", "-111.891000", "America/Denver"),
    Site("PX", "Central & Mountain", "Phoenix Downtown", "401 E Jefferson St, Phoenix, AZ 85004",
         "33.446400", "-112.067000", "America/Phoenix"),
    Site("DC", "East Coast", "Washington Navy Yard", "1201 Half St SE, Washington, DC 20003",
         "38.876200", "-77.007500", "America/New_York"),
    Site("OK", "Bay Area", "Oakland Jack London Square", "55 Harrison St, Oakland, CA 94607",
         "37.794900", "-122.277300", "America/Los_Angeles"),
    Site("BV", "Pacific Northwest", "Bellevue Downtown", "575 Bellevue Square, Bellevue, WA 98004",
         "47.615800", "-122.204000", "America/Los_Angeles"),
    Site("SM", "Nevada", "Las Vegas Summerlin", "1980 Festival Plaza Dr, Las Vegas, NV 89135",
         "36.151200", "-115.331600", "America/Los_Angeles"),
)

CN_SITES = (
    Site("SH", "Shanghai", "Shanghai Lujiazui", "上海市浦东新区陆家嘴环路1000号",
         "31.238600", "121.503200", "Asia/Shanghai"),
    Site("HZ", "Zhejiang", "Hangzhou West Lake", "浙江省杭州市上城区湖滨路23号",
         "30.258900", "120.164200", "Asia/Shanghai"),
    Site("SZ", "Jiangsu", "Suzhou Industrial Park", "江苏省苏州市工业园区苏州大道东265号",
         "31.317700", "120.671800", "Asia/Shanghai"),
    Site("SZF", "Guangdong", "Shenzhen Futian CBD", "广东省深圳市福田区益田路5033号",
         "22.533300", "114.055300", "Asia/Shanghai"),
    Site("SHQ", "Shanghai", "Shanghai Hongqiao Hub", "上海市闵行区申贵路1500号",
         "31.194500", "121.320700", "Asia/Shanghai"),
    Site("NJ", "Jiangsu", "Nanjing Xinjiekou", "江苏省南京市秦淮区中山南路1号",
         "32.041800", "118.784000", "Asia/Shanghai"),
    Site("GZ", "Guangdong", "Guangzhou Tianhe", "广东省广州市天河区天河路208号",
         "23.132000", "113.324000", "Asia/Shanghai"),
    Site("NB", "Zhejiang", "Ningbo Tianyi Square", "浙江省宁波市海曙区中山东路188号",
         "29.871700", "121.555000", "Asia/Shanghai"),
    Site("SHX", "Shanghai", "Shanghai Xujiahui", "上海市徐汇区虹桥路1号",
         "31.195000", "121.437000", "Asia/Shanghai"),
    Site("WX", "Jiangsu", "Wuxi Sanyang Square", "江苏省无锡市梁溪区中山路333号",
         "31.574000", "120.299800", "Asia/Shanghai"),
    Site("SZN", "Guangdong", "Shenzhen Nanshan Science Park", "广东省深圳市南山区科苑路15号",
         "22.543400", "113.947500", "Asia/Shanghai"),
    Site("HZB", "Zhejiang", "Hangzhou Binjiang", "浙江省杭州市滨江区江南大道3850号",
         "30.208200", "120.212000", "Asia/Shanghai"),
    Site("SHZ", "Shanghai", "Shanghai Zhangjiang", "上海市浦东新区祖冲之路2288号",
         "31.203500", "121.594000", "Asia/Shanghai"),
    Site("CZ", "Jiangsu", "Changzhou Xinbei", "江苏省常州市新北区太湖东路9号",
         "31.810700", "119.974000", "Asia/Shanghai"),
    Site("GZP", "Guangdong", "Guangzhou Pazhou", "广东省广州市海珠区阅江中路380号",
         "23.105000", "113.365000", "Asia/Shanghai"),
    Site("JX", "Zhejiang", "Jiaxing South Lake", "浙江省嘉兴市南湖区南湖路1号",
         "30.756000", "120.766000", "Asia/Shanghai"),
    Site("SHA", "Shanghai", "Shanghai Anting Auto City", "上海市嘉定区安亭镇博园路7575号",
         "31.291500", "121.170800", "Asia/Shanghai"),
    Site("DG", "Guangdong", "Dongguan Songshan Lake", "广东省东莞市松山湖大道8号",
         "22.920000", "113.886000", "Asia/Shanghai"),
    Site("FS", "Guangdong", "Foshan Qiandeng Lake", "广东省佛山市南海区桂澜北路28号",
         "23.047000", "113.148000", "Asia/Shanghai"),
)

AC, DC = ChargingMethod.AC, ChargingMethod.DC
C = ConnectorType

US_PILE_MODELS = (
    PileModel("ChargePoint", "CPF50", AC, Decimal("7.20"), (208, 240), (C.TYPE1, C.TYPE1),
              ("4.6.1.16", "4.8.0.21", "5.1.2.5"), "CPF50", 4),
    PileModel("Wallbox", "Pulsar Plus", AC, Decimal("11.50"), (208, 240), (C.NACS,),
              ("6.3.14", "6.5.21"), "WBPP", 2),
    PileModel("ABB", "Terra 54", DC, Decimal("50.00"), (150, 500), (C.CCS1, C.CHADEMO),
              ("1.8.29", "1.9.12", "1.9.14"), "T54", 3),
    PileModel("Tritium", "RTM75", DC, Decimal("75.00"), (200, 920), (C.CCS1, C.CHADEMO),
              ("3.2.0", "3.4.1"), "RTM", 2),
    PileModel("Wallbox", "Supernova 180", DC, Decimal("180.00"), (150, 1000), (C.CCS1, C.NACS),
              ("2.4.3", "2.5.0"), "WBSN", 1),
)

CN_PILE_MODELS = (
    PileModel("XingBang", "XB-AC11", AC, Decimal("11.20"), (342, 418), (C.GBT_AC,),
              ("V2.1.08", "V2.3.02"), "XB", 3),
    PileModel("StarCharge", "Aurora AC7", AC, Decimal("7.00"), (187, 253), (C.GBT_AC,),
              ("1.0.36", "1.1.4"), "SCA", 2),
    PileModel("TELD", "TCDZ-DC120", DC, Decimal("120.00"), (200, 750), (C.GBT_DC, C.GBT_DC),
              ("T3.6.12", "T3.7.05"), "TD", 4),
    PileModel("StarCharge", "Jupiter DC60", DC, Decimal("60.00"), (200, 750), (C.GBT_DC,),
              ("2.2.18", "2.3.1"), "SCJ", 2),
    PileModel("XCharge", "C6 160kW", DC, Decimal("160.00"), (200, 1000), (C.GBT_DC, C.GBT_DC),
              ("C6-4.1.7", "C6-4.2.0"), "XC", 1),
)

#                      0     1     2     3     4     5     6     7     8     9    10    11
#                     12    13    14    15    16    17    18    19    20    21    22    23
US_HOURS_WEEKDAY = (0.30, 0.20, 0.12, 0.10, 0.12, 0.30, 0.70, 1.30, 1.60, 1.30, 1.00, 1.00,
                    1.10, 1.00, 0.95, 1.00, 1.20, 1.50, 1.70, 1.50, 1.20, 0.90, 0.60, 0.40)
US_HOURS_WEEKEND = (0.40, 0.30, 0.15, 0.10, 0.10, 0.15, 0.30, 0.50, 0.80, 1.10, 1.40, 1.60,
                    1.60, 1.50, 1.40, 1.30, 1.30, 1.30, 1.20, 1.00, 0.80, 0.70, 0.55, 0.45)
# Drivers in China wait for the valley price that starts at 23:00, hence the late-night peak.
CN_HOURS_WEEKDAY = (0.90, 0.60, 0.35, 0.25, 0.20, 0.30, 0.60, 1.20, 1.40, 1.20, 0.80, 0.85,
                    1.10, 1.00, 0.80, 0.90, 1.00, 1.20, 1.30, 1.10, 1.00, 0.90, 0.80, 1.40)
CN_HOURS_WEEKEND = (1.00, 0.70, 0.40, 0.30, 0.25, 0.30, 0.45, 0.70, 0.90, 1.10, 1.10, 1.20,
                    1.30, 1.20, 1.10, 1.10, 1.20, 1.30, 1.30, 1.20, 1.10, 1.00, 0.90, 1.40)
US_HOLDERS = (
    "Emily Johnson", "Michael Brown", "Sarah Davis", "David Wilson", "Jessica Martinez", "Christopher Lee",
    "Ashley Taylor", "Matthew Anderson", "Amanda Thomas", "Joshua Moore",
    "Lyft fleet", "Metro Cab fleet", "City of Las Vegas fleet", "Bay Area Courier fleet",
)
CN_HOLDERS = (
    "王伟", "李娜", "张敏", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴芳",
    "滴滴出行车队", "曹操出行车队", "顺丰速运城配", "杭州出租车公司",
)
# fmt: on

SUNRISE = OperatorSpec(
    name="Sunrise Charging",
    currency=Currency.USD,
    time_zone="America/Los_Angeles",
    country="US",
    user_prefix="sunrise",
    areas=(
        ("Nevada", "Las Vegas valley and Reno"),
        ("East Coast", "New York, Boston, Philadelphia and Washington DC"),
        ("Bay Area", "San Francisco, the Peninsula, San Jose and Oakland"),
        ("Central & Mountain", "Denver, Salt Lake City, Phoenix, Chicago and Dallas"),
        ("Pacific Northwest", "Seattle, Bellevue, Portland and Boise"),
    ),
    sites=US_SITES,
    pile_models=US_PILE_MODELS,
    tariff_name="Sunrise time-of-use",
    tariff_old=(
        (time(0), "0.2000", "0.0800"),
        (time(7), "0.2700", "0.1000"),
        (time(16), "0.4000", "0.1200"),
        (time(21), "0.2700", "0.1000"),
        (time(23), "0.2000", "0.0800"),
    ),
    tariff_new=(
        (time(0), "0.2150", "0.0850"),
        (time(7), "0.2900", "0.1050"),
        (time(16), "0.4350", "0.1350"),
        (time(21), "0.2900", "0.1050"),
        (time(23), "0.2150", "0.0850"),
    ),
    payments=((PaymentMethod.CREDIT_CARD, 45), (PaymentMethod.APP, 40), (PaymentMethod.RFID_CARD, 15)),
    busyness=0.8,
    weekday_factor=(1.0, 1.0, 1.0, 1.02, 1.05, 0.85, 0.75),
    hours_weekday=US_HOURS_WEEKDAY,
    hours_weekend=US_HOURS_WEEKEND,
    vehicle_ac_kw=(6.6, 7.2, 7.7, 11.5, 11.5),
    vehicle_dc_kw=(50, 75, 100, 150, 170, 250),
    users=(
        DemoUser("admin", Role.OPERATOR_ADMIN, "Megan", "Carter"),
        DemoUser("analyst", Role.ANALYST, "Daniel", "Kim"),
        DemoUser("tech1", Role.TECHNICIAN, "Luis", "Ramirez"),
        DemoUser("tech2", Role.TECHNICIAN, "Tyler", "Brooks"),
    ),
    holders=US_HOLDERS,
    card_prefix="04",  # + 12 hex digits: a 7-byte NFC UID
    app_prefix="SRAPP",
)

JIANGNAN = OperatorSpec(
    name="Jiangnan E-Power",
    currency=Currency.CNY,
    time_zone="Asia/Shanghai",
    country="CN",
    user_prefix="jiangnan",
    areas=(
        ("Shanghai", "Pudong, Xuhui, Minhang and Jiading"),
        ("Zhejiang", "Hangzhou, Ningbo and Jiaxing"),
        ("Jiangsu", "Nanjing, Suzhou, Wuxi and Changzhou"),
        ("Guangdong", "Guangzhou, Shenzhen, Dongguan and Foshan"),
    ),
    sites=CN_SITES,
    pile_models=CN_PILE_MODELS,
    tariff_name="江南峰谷电价 Jiangnan time-of-use",
    tariff_old=(
        (time(0), "0.3200", "0.4000"),
        (time(7), "0.6800", "0.5500"),
        (time(10), "1.0200", "0.7500"),
        (time(15), "0.6800", "0.5500"),
        (time(18), "1.0200", "0.7500"),
        (time(21), "0.6800", "0.5500"),
        (time(23), "0.3200", "0.4000"),
    ),
    tariff_new=(
        (time(0), "0.3500", "0.4000"),
        (time(7), "0.7200", "0.6000"),
        (time(10), "1.0800", "0.8000"),
        (time(15), "0.7200", "0.6000"),
        (time(18), "1.0800", "0.8000"),
        (time(21), "0.7200", "0.6000"),
        (time(23), "0.3500", "0.4000"),
    ),
    payments=(
        (PaymentMethod.WECHAT_PAY, 40),
        (PaymentMethod.ALIPAY, 25),
        (PaymentMethod.APP, 20),
        (PaymentMethod.RFID_CARD, 15),
    ),
    busyness=1.3,
    weekday_factor=(1.0, 1.0, 1.0, 1.0, 1.05, 1.12, 1.05),
    hours_weekday=CN_HOURS_WEEKDAY,
    hours_weekend=CN_HOURS_WEEKEND,
    vehicle_ac_kw=(3.3, 6.6, 7.0, 7.0, 11.0),
    vehicle_dc_kw=(60, 90, 100, 120, 150, 180),
    users=(
        DemoUser("admin", Role.OPERATOR_ADMIN, "Jing", "Chen"),
        DemoUser("analyst", Role.ANALYST, "Lei", "Wang"),
        DemoUser("tech1", Role.TECHNICIAN, "Wei", "Zhang"),
        DemoUser("tech2", Role.TECHNICIAN, "Qiang", "Li"),
    ),
    holders=CN_HOLDERS,
    card_prefix="8860",  # + 12 digits: a 16-digit card number
    app_prefix="JNAPP",
)

OPERATORS = (SUNRISE, JIANGNAN)

# fmt: off
# How an order ends: completed sessions, and the few that end abnormally.
COMPLETED_STOPS = ((StopReason.EV_DISCONNECTED, 45), (StopReason.LOCAL, 25), (StopReason.REMOTE, 28),
                   (StopReason.OTHER, 2))
ABNORMAL_STOPS = ((StopReason.POWER_LOSS, 35), (StopReason.EMERGENCY_STOP, 25), (StopReason.OTHER, 20),
                  (StopReason.HARD_RESET, 10), (StopReason.REBOOT, 10))

# Error codes a pile reports, with relative frequency per charging method; the codes a gun
# reports (the rest are about the whole pile, OCPP connector 0).
ALARM_CODES = {
    AC: ((ErrorCode.EV_COMMUNICATION_ERROR, 20), (ErrorCode.WEAK_SIGNAL, 18), (ErrorCode.CONNECTOR_LOCK_FAILURE, 14),
         (ErrorCode.GROUND_FAILURE, 8), (ErrorCode.READER_FAILURE, 8), (ErrorCode.OVER_CURRENT_FAILURE, 5),
         (ErrorCode.UNDER_VOLTAGE, 6), (ErrorCode.OVER_VOLTAGE, 4), (ErrorCode.POWER_METER_FAILURE, 4),
         (ErrorCode.RESET_FAILURE, 3), (ErrorCode.OTHER_ERROR, 5), (ErrorCode.LOCAL_LIST_CONFLICT, 2)),
    DC: ((ErrorCode.EV_COMMUNICATION_ERROR, 24), (ErrorCode.HIGH_TEMPERATURE, 14), (ErrorCode.WEAK_SIGNAL, 12),
         (ErrorCode.INTERNAL_ERROR, 10), (ErrorCode.CONNECTOR_LOCK_FAILURE, 8), (ErrorCode.POWER_SWITCH_FAILURE, 5),
         (ErrorCode.GROUND_FAILURE, 4), (ErrorCode.OVER_CURRENT_FAILURE, 4), (ErrorCode.UNDER_VOLTAGE, 4),
         (ErrorCode.OVER_VOLTAGE, 3), (ErrorCode.POWER_METER_FAILURE, 3), (ErrorCode.READER_FAILURE, 4),
         (ErrorCode.RESET_FAILURE, 2), (ErrorCode.OTHER_ERROR, 3)),
}
GUN_ERROR_CODES = frozenset({
    ErrorCode.CONNECTOR_LOCK_FAILURE, ErrorCode.EV_COMMUNICATION_ERROR, ErrorCode.GROUND_FAILURE,
    ErrorCode.HIGH_TEMPERATURE, ErrorCode.OVER_CURRENT_FAILURE, ErrorCode.POWER_METER_FAILURE,
    ErrorCode.POWER_SWITCH_FAILURE,
})
# Codes that leave a gun Faulted until someone repairs it.
FAULT_CODES = (ErrorCode.GROUND_FAILURE, ErrorCode.CONNECTOR_LOCK_FAILURE, ErrorCode.HIGH_TEMPERATURE,
               ErrorCode.POWER_SWITCH_FAILURE, ErrorCode.OVER_CURRENT_FAILURE)
# fmt: on

# What the pile says (info), what the applicant writes, and what the technician did.
ALARM_TEXTS = {
    ErrorCode.CONNECTOR_LOCK_FAILURE: (
        "Connector lock did not engage",
        "Gun {gun} cannot be locked into the vehicle inlet; sessions abort at start.",
        "Replaced the lock actuator of gun {gun}; lock test passed 10/10.",
    ),
    ErrorCode.EV_COMMUNICATION_ERROR: (
        "PLC/CAN handshake with vehicle timed out",
        "Vehicles fail the handshake on gun {gun}; several customers could not start.",
        "Cleaned the gun {gun} pins and replaced the communication board cable.",
    ),
    ErrorCode.GROUND_FAILURE: (
        "Residual current device tripped",
        "Ground fault on gun {gun}: the RCD trips when a vehicle connects. Pile isolated.",
        "Found water ingress in the gun {gun} cable gland; dried, resealed and insulation-tested.",
    ),
    ErrorCode.HIGH_TEMPERATURE: (
        "Cabinet temperature above 85 °C, power derated",
        "Gun {gun} overheats and derates power to zero after a few minutes.",
        "Cleaned the air filters and replaced a failed cooling fan.",
    ),
    ErrorCode.INTERNAL_ERROR: (
        "Power module fault",
        "Internal power module error; the pile refuses to start sessions.",
        "Replaced power module 2 and updated the module firmware.",
    ),
    ErrorCode.LOCAL_LIST_CONFLICT: (
        "Local authorization list version mismatch",
        "Local list conflict reported after the last sync.",
        "Cleared the local list and pushed a full SendLocalList.",
    ),
    ErrorCode.OTHER_ERROR: (
        "Unspecified vendor error",
        "Pile reports a vendor error during sessions.",
        "Power-cycled the pile and updated firmware; error not reproduced.",
    ),
    ErrorCode.OVER_CURRENT_FAILURE: (
        "Output over-current protection triggered",
        "Over-current trips on gun {gun}.",
        "Replaced the output contactor of gun {gun}; load test passed.",
    ),
    ErrorCode.OVER_VOLTAGE: (
        "Grid voltage above limit",
        "Grid over-voltage events at this site.",
        "Utility adjusted the transformer tap; voltage back within limits.",
    ),
    ErrorCode.POWER_METER_FAILURE: (
        "Energy meter not responding",
        "Gun {gun} reports no meter values; orders show zero energy.",
        "Replaced the DC energy meter of gun {gun} and re-sealed it.",
    ),
    ErrorCode.POWER_SWITCH_FAILURE: (
        "Main contactor welded",
        "Power switch failure on gun {gun}; the contactor does not open.",
        "Replaced the main contactor of gun {gun}.",
    ),
    ErrorCode.READER_FAILURE: (
        "RFID reader not detected",
        "Card reader does not react to cards.",
        "Reseated the RFID reader module and replaced its cable.",
    ),
    ErrorCode.RESET_FAILURE: (
        "Reset command failed",
        "Pile did not come back after a remote reset.",
        "Reset on site; controller firmware updated.",
    ),
    ErrorCode.UNDER_VOLTAGE: (
        "Grid voltage below limit",
        "Grid under-voltage at this site; sessions stop.",
        "Tightened a loose supply terminal in the distribution board.",
    ),
    ErrorCode.WEAK_SIGNAL: (
        "Cellular signal weak (RSSI -109 dBm)",
        "The pile loses its 4G connection and goes offline.",
        "Moved the 4G antenna to the canopy and replaced the SIM.",
    ),
}

# Work orders raised by people on site rather than by an alarm.
MANUAL_PROBLEMS = (
    ("Cable jacket of gun {gun} cracked near the handle.", "Replaced the charging cable assembly of gun {gun}."),
    ("Display is blank; customers cannot see the QR code.", "Replaced the display board and its ribbon cable."),
    ("Holster latch broken; gun {gun} falls onto the ground.", "Fitted a new holster and latch."),
    ("Bollard in front of the pile was hit by a car.", "Bollard replaced; pile inspected, no damage found."),
    ("Parking bay sign missing; combustion cars block the pile.", "Installed new EV-only signage and bay markings."),
    ("Emergency stop cover missing.", "Fitted a new emergency stop cover."),
)
CLAIM_NOTES = (
    "Claimed; on my way, ETA 40 minutes.",
    "Claimed; spare parts ordered from the vendor.",
    "Claimed; will visit with the next site round.",
    "Claimed; remote diagnostics first, then site visit.",
)
CONFIRM_NOTES = (
    "Checked remotely: pile online and a test session completed.",
    "Confirmed with the site manager; normal sessions since the repair.",
    "Verified in the order list: sessions complete normally again.",
)
VENDOR_CODE_FORMATS = {
    "ChargePoint": "CP-{n:04d}",
    "Wallbox": "WB{n:03d}",
    "ABB": "0x{n:04X}",
    "Tritium": "TRI-{n:03d}",
    "XingBang": "E{n:02d}",
    "StarCharge": "SC{n:04d}",
    "TELD": "TD-{n:03d}",
    "XCharge": "XC{n:03d}",
}
