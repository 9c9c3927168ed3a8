"""The demo parts catalogue as data: suppliers, per-model parts, fluids, batteries, tyres.

Each generated part carries a weekly demand (units per store per week) so that the seeded
consumption, and therefore the ABC classes, look like a real 4S workshop's.
"""

from __future__ import annotations

from dataclasses import dataclass

# code, name, kind, lead time (days)
SUPPLIERS = (
    ("SVW-OEM", "上汽大众原厂配件中心", "oem", 3),
    ("GTMC-OEM", "广汽丰田/一汽丰田配件中心", "oem", 4),
    ("HONDA-OEM", "广汽本田/东风本田配件中心", "oem", 4),
    ("BOSCH-SH", "博世汽车配件(上海)有限公司", "third_party", 2),
    ("MICHELIN-EC", "米其林轮胎华东经销中心", "third_party", 3),
    ("VARTA-EC", "瓦尔塔蓄电池华东总代理", "third_party", 2),
    ("SHELL-EC", "壳牌润滑油华东分销", "third_party", 2),
)

# make: (part number prefix, OEM supplier code, price factor)
MAKES = {
    "Volkswagen": ("SVW", "SVW-OEM", 1.0),
    "Audi": ("AUD", "SVW-OEM", 1.6),
    "Toyota": ("TYT", "GTMC-OEM", 1.0),
    "Honda": ("HND", "HONDA-OEM", 1.0),
    "Buick": ("BUI", "BOSCH-SH", 1.1),
    "Nissan": ("NSN", "BOSCH-SH", 0.95),
    "BYD": ("BYD", "BOSCH-SH", 0.9),
    "Mercedes-Benz": ("MBZ", "BOSCH-SH", 1.8),
}
MODELS = (  # make, model, engine
    ("Volkswagen", "Lavida", "1.5L"),
    ("Volkswagen", "Passat", "2.0T"),
    ("Volkswagen", "Tiguan L", "2.0T"),
    ("Toyota", "Camry", "2.5L"),
    ("Toyota", "Corolla", "1.2T"),
    ("Honda", "Accord", "1.5T"),
    ("Honda", "CR-V", "1.5T"),
    ("Buick", "GL8", "2.0T"),
    ("Nissan", "Sylphy", "1.6L"),
    ("BYD", "Qin PLUS", "1.5L DM-i"),
    ("Audi", "A4L", "2.0T"),
    ("Mercedes-Benz", "C 260 L", "1.5T"),
)

# code, Chinese, English, category, unit, cost (CNY), weekly demand per store
PER_MODEL = (
    ("115", "机油滤清器", "Oil filter", "filter", "piece", 38, 6.0),
    ("129", "空气滤清器", "Air filter", "filter", "piece", 62, 3.0),
    ("819", "空调滤清器", "Cabin air filter", "filter", "piece", 55, 3.5),
    ("905", "火花塞", "Spark plug", "ignition", "piece", 48, 4.0),
    ("906", "点火线圈", "Ignition coil", "ignition", "piece", 320, 0.6),
    ("698F", "前刹车片(套)", "Front brake pads (set)", "brake", "set", 260, 1.5),
    ("698R", "后刹车片(套)", "Rear brake pads (set)", "brake", "set", 210, 1.0),
    ("615", "前刹车盘(对)", "Front brake discs (pair)", "brake", "pair", 520, 0.4),
    ("121T", "节温器", "Thermostat", "cooling", "piece", 180, 0.3),
    ("121P", "水泵总成", "Water pump", "cooling", "piece", 620, 0.15),
    ("906U", "前氧传感器", "Upstream O2 sensor", "electrical", "piece", 450, 0.3),
    ("906D", "后氧传感器", "Downstream O2 sensor", "electrical", "piece", 420, 0.2),
    ("131", "三元催化器", "Catalytic converter", "exhaust", "piece", 3800, 0.05),
    ("109", "正时皮带套件", "Timing belt kit", "engine", "kit", 880, 0.1),
    ("260", "多楔带", "Serpentine belt", "engine", "piece", 120, 0.4),
    ("413", "前减震器", "Front shock absorber", "suspension", "piece", 680, 0.1),
    ("941", "大灯灯泡", "Headlamp bulb", "lighting", "piece", 65, 0.6),
)

# Fluids: number, Chinese, English, unit, cost, shelf life (days), weekly demand per store
FLUIDS = (
    (
        "SHL-HX8-5W30-4L",
        "壳牌超凡喜力 5W-30 全合成机油 4L",
        "Shell Helix Ultra 5W-30 4L",
        235,
        1825,
        5.0,
    ),
    (
        "SHL-HX8-5W30-1L",
        "壳牌超凡喜力 5W-30 全合成机油 1L",
        "Shell Helix Ultra 5W-30 1L",
        68,
        1825,
        4.0,
    ),
    (
        "SHL-HX8-0W20-4L",
        "壳牌超凡喜力 0W-20 全合成机油 4L",
        "Shell Helix Ultra 0W-20 4L",
        268,
        1825,
        3.5,
    ),
    (
        "SHL-HX8-0W20-1L",
        "壳牌超凡喜力 0W-20 全合成机油 1L",
        "Shell Helix Ultra 0W-20 1L",
        76,
        1825,
        2.5,
    ),
    ("SHL-HX7-5W40-4L", "壳牌喜力 5W-40 机油 4L", "Shell Helix HX7 5W-40 4L", 168, 1825, 1.5),
    ("MOB-1-0W40-4L", "美孚1号 0W-40 全合成机油 4L", "Mobil 1 0W-40 4L", 398, 1825, 0.8),
    ("MOB-1-5W30-4L", "美孚1号 5W-30 全合成机油 4L", "Mobil 1 5W-30 4L", 358, 1825, 1.0),
    ("CAS-EDGE-0W30-4L", "嘉实多极护 0W-30 机油 4L", "Castrol Edge 0W-30 4L", 342, 1825, 0.8),
    ("SVW-G052-5W30-4L", "大众原厂 5W-30 机油 4L", "VW genuine 5W-30 4L", 298, 1825, 2.0),
    ("TYT-0W20-4L", "丰田原厂 0W-20 机油 4L", "Toyota genuine 0W-20 4L", 285, 1825, 1.5),
    ("COOL-35-4L", "长效防冻冷却液 -35°C 4L", "Long-life coolant -35°C 4L", 85, 1095, 1.2),
    ("COOL-45-1.5L", "长效防冻冷却液 -45°C 1.5L", "Long-life coolant -45°C 1.5L", 48, 1095, 0.8),
    ("G12EVO-1.5L", "大众原厂 G12evo 冷却液 1.5L", "VW G12evo coolant 1.5L", 92, 1095, 0.6),
    ("DOT4-1L", "博世 DOT4 刹车油 1L", "Bosch DOT4 brake fluid 1L", 58, 730, 1.5),
    ("DOT4-0.5L", "博世 DOT4 刹车油 0.5L", "Bosch DOT4 brake fluid 0.5L", 34, 730, 0.8),
    (
        "DSG-ATF-1L",
        "大众原厂 DSG 双离合变速箱油 1L",
        "VW DSG transmission fluid 1L",
        128,
        1825,
        0.6,
    ),
    ("CVT-NS3-4L", "日产原厂 CVT NS-3 变速箱油 4L", "Nissan CVT fluid NS-3 4L", 420, 1825, 0.2),
    ("ATF-WS-4L", "丰田原厂 ATF WS 自动变速箱油 4L", "Toyota ATF WS 4L", 380, 1825, 0.2),
    ("PSF-1L", "方向助力油 1L", "Power steering fluid 1L", 45, 1825, 0.2),
    ("WASH-2L", "玻璃水(四季通用) 2L", "Screen wash, all season 2L", 12, 730, 4.0),
    ("AC-R134A", "空调制冷剂 R134a 300g", "A/C refrigerant R134a 300g", 55, 1825, 0.6),
    ("AC-R1234YF", "空调制冷剂 R1234yf 250g", "A/C refrigerant R1234yf 250g", 260, 1825, 0.3),
    ("FUEL-CLN", "燃油系统清洁剂 300ml", "Fuel system cleaner 300ml", 38, 1095, 2.0),
    ("ADBLUE-10L", "车用尿素 10L", "AdBlue 10L", 45, 540, 0.3),
)

# Batteries: number, Chinese, English, cost, weekly demand per store
BATTERIES = (
    ("VARTA-B20-45AH", "瓦尔塔 45Ah 免维护蓄电池", "VARTA 45Ah maintenance-free battery", 430, 0.3),
    ("VARTA-C22-60AH", "瓦尔塔 60Ah 免维护蓄电池", "VARTA 60Ah maintenance-free battery", 520, 0.8),
    ("VARTA-E11-70AH", "瓦尔塔 70Ah 免维护蓄电池", "VARTA 70Ah maintenance-free battery", 620, 0.7),
    ("VARTA-H15-80AH", "瓦尔塔 80Ah 免维护蓄电池", "VARTA 80Ah maintenance-free battery", 720, 0.3),
    (
        "VARTA-AGM-70AH",
        "瓦尔塔 70Ah AGM 启停蓄电池",
        "VARTA 70Ah AGM start-stop battery",
        1180,
        0.5,
    ),
    (
        "VARTA-AGM-95AH",
        "瓦尔塔 95Ah AGM 启停蓄电池",
        "VARTA 95Ah AGM start-stop battery",
        1580,
        0.2,
    ),
    ("CAMEL-60AH", "骆驼 60Ah 蓄电池", "Camel 60Ah battery", 390, 0.4),
    ("CAMEL-70AH", "骆驼 70Ah 蓄电池", "Camel 70Ah battery", 460, 0.3),
    ("FENGFAN-60AH", "风帆 60Ah 蓄电池", "Sail 60Ah battery", 370, 0.2),
    ("BYD-12V-LFP", "比亚迪 12V 磷酸铁锂低压电池", "BYD 12V LFP auxiliary battery", 980, 0.1),
)
BATTERY_SHELF_DAYS = 540  # a charged battery sits on the shelf for about 18 months at most

TYRE_SIZES = (  # size, weekly demand per store per brand
    ("195/65R15", 0.3),
    ("205/55R16", 1.2),
    ("205/60R16", 0.6),
    ("215/55R17", 1.0),
    ("215/60R16", 0.5),
    ("225/45R18", 0.6),
    ("225/55R18", 0.5),
    ("235/55R19", 0.3),
    ("225/60R18", 0.3),
)
TYRE_BRANDS = (  # code, Chinese, English, price factor
    ("MICH-P4", "米其林 浩悦4", "Michelin Primacy 4", 1.25),
    ("BRID-T005", "普利司通 泰然者 T005", "Bridgestone Turanza T005", 1.1),
    ("CONT-UC7", "马牌 UC7", "Continental UltraContact UC7", 1.0),
)
TYRE_SHELF_DAYS = 1825  # tyres are fitted within five years of their DOT date
WIPERS = tuple(range(14, 28, 2))  # blade lengths in inches


@dataclass(frozen=True)
class SeedPart:
    """One catalogue row of the demo, with its supplier and weekly demand per store."""

    part_number: str
    name_zh: str
    name_en: str
    category: str
    kind: str
    unit: str
    cost: float
    supplier: str
    weekly: float
    shelf_life_days: int | None = None
    fits: str | None = None


def catalogue() -> list[SeedPart]:
    """The whole demo catalogue (about 270 parts)."""
    parts: list[SeedPart] = []
    for index, (make, model, engine) in enumerate(MODELS):
        prefix, supplier, factor = MAKES[make]
        fits = f"{make} {model} {engine}"
        for code, zh, en, category, unit, cost, weekly in PER_MODEL:
            from_bosch = category in ("ignition", "electrical") and supplier.endswith("OEM")
            parts.append(
                SeedPart(
                    part_number=f"{prefix}-{code}-{index + 1:02d}{len(model) % 7}",
                    name_zh=f"{zh}({model} {engine})",
                    name_en=f"{en} ({model} {engine})",
                    category=category,
                    kind="standard",
                    unit=unit,
                    cost=round(cost * factor, 2),
                    supplier="BOSCH-SH" if from_bosch else supplier,
                    weekly=weekly / 3,  # a store services several models
                    fits=fits,
                )
            )
    for number, zh, en, cost, shelf, weekly in FLUIDS:
        supplier = (
            "SHELL-EC"
            if number.startswith(("SHL", "MOB", "CAS", "COOL", "WASH"))
            else ("SVW-OEM" if number.startswith(("SVW", "G12", "DSG")) else "BOSCH-SH")
        )
        if number.startswith(("TYT", "ATF")):
            supplier = "GTMC-OEM"
        unit = "bottle" if "L" in number.split("-")[-1] else "piece"
        parts.append(
            SeedPart(number, zh, en, "fluid", "fluid", unit, cost, supplier, weekly, shelf)
        )
    for number, zh, en, cost, weekly in BATTERIES:
        supplier = "SVW-OEM" if number.startswith("BYD") else "VARTA-EC"
        parts.append(
            SeedPart(
                number,
                zh,
                en,
                "battery",
                "battery",
                "piece",
                cost,
                supplier,
                weekly,
                BATTERY_SHELF_DAYS,
            )
        )
    for code, zh, en, factor in TYRE_BRANDS:
        for size, weekly in TYRE_SIZES:
            rim = int(size[-2:])
            cost = round((320 + (rim - 15) * 160) * factor, 2)
            parts.append(
                SeedPart(
                    f"{code}-{size.replace('/', '').replace('R', '-R')}",
                    f"{zh} {size} 轮胎",
                    f"{en} {size} tyre",
                    "tyre",
                    "tyre",
                    "piece",
                    cost,
                    "MICHELIN-EC",
                    weekly,
                    TYRE_SHELF_DAYS,
                )
            )
    for inches in WIPERS:
        parts.append(
            SeedPart(
                f"BSH-WB-{inches}",
                f"博世无骨雨刮片 {inches} 英寸",
                f'Bosch Aerotwin wiper blade {inches}"',
                "wiper",
                "standard",
                "piece",
                45 + inches * 2,
                "BOSCH-SH",
                0.8,
            )
        )
    return parts
