"""The sales demo's tables: the line-up with prices, options, paints, consultants, outcomes."""

# code, model, trim, powertrain, MSRP (CNY). Make: Volkswagen (上汽大众), model year 2025.
CATALOGUE = (
    ("SANTANA-15-MT", "Santana", "1.5L 手动风尚版", "ice", 79900),
    ("LAVIDA-15-MT", "Lavida", "1.5L 手动新逸版", "ice", 95900),
    ("LAVIDA-15-AT", "Lavida", "1.5L 自动满逸版", "ice", 115900),
    ("LAVIDA-PLUS-280", "Lavida", "Plus 280TSI 星空版", "ice", 139900),
    ("LAMANDOL-200", "Lamando L", "200TSI 潮辣版", "ice", 149900),
    ("LAMANDOL-280", "Lamando L", "280TSI 炫辣版", "ice", 169900),
    ("TCROSS-15", "T-Cross", "1.5L 自动风尚版", "ice", 129900),
    ("TCROSS-15-LUX", "T-Cross", "1.5L 自动豪华版", "ice", 149900),
    ("THARU-280", "Tharu", "280TSI 两驱舒适版", "ice", 159900),
    ("THARU-300-4WD", "Tharu", "300TSI 四驱旗舰版", "ice", 199900),
    ("PASSAT-330-PRO", "Passat", "330TSI 精英版", "ice", 209900),
    ("PASSAT-380-LUX", "Passat", "380TSI 豪华版", "ice", 249900),
    ("PASSAT-430-PHEV", "Passat", "430PHEV 混动版", "phev", 239900),
    ("TIGUANL-330-2WD", "Tiguan L", "330TSI 两驱智享版", "ice", 219900),
    ("TIGUANL-330-4WD", "Tiguan L", "330TSI 四驱智尊版", "ice", 259900),
    ("TIGUANL-380-RLINE", "Tiguan L", "380TSI R-Line", "ice", 289900),
    ("TIGUANL-430-PHEV", "Tiguan L", "430PHEV 插混版", "phev", 269900),
    ("TERAMONT-330", "Teramont", "330TSI 两驱豪华版", "ice", 299900),
    ("TERAMONT-380-4WD", "Teramont", "380TSI 四驱旗舰版", "ice", 359900),
    ("TERAMONT-X-380", "Teramont X", "380TSI 四驱尊崇版", "ice", 369900),
    ("VILORAN-330", "Viloran", "330TSI 商务版", "ice", 309900),
    ("VILORAN-380", "Viloran", "380TSI 尊贵版", "ice", 389900),
    ("ID3-PURE", "ID.3", "Pure 纯净智享版", "bev", 159900),
    ("ID3-PRO", "ID.3", "Pro 智能版", "bev", 169900),
    ("ID4X-PURE", "ID.4 X", "Pure+ 长续航版", "bev", 199900),
    ("ID4X-PRO", "ID.4 X", "Pro 长续航智享版", "bev", 239900),
    ("ID4X-PRIME", "ID.4 X", "Prime 四驱高性能版", "bev", 279900),
    ("ID6X-PRO", "ID.6 X", "Pro 六座版", "bev", 269900),
    ("ID6X-PRIME", "ID.6 X", "Prime 四驱版", "bev", 329900),
)
OPTIONS = (
    ("PANO", "全景天窗", 8000),
    ("IQ-LIGHT", "IQ.Light 矩阵大灯", 6000),
    ("HARMAN", "哈曼卡顿音响", 5000),
    ("FILM", "隐形车衣", 7800),
    ("MATS", "全包围脚垫", 1200),
)
PAINT_COLOURS = ("极地白", "深空灰", "曜石黑", "星光蓝", "珍珠白", "魅影红")
# username, full name, store code; the demo seed already has "sales" at SH-PD.
CONSULTANTS = (
    ("sales.2", "陈晨", "SH-PD"),
    ("sales.mh", "刘洋", "SH-MH"),
    ("sales.mh2", "黄蕾", "SH-MH"),
)
SOURCES = (
    ("walk_in", 30),
    ("autohome", 20),
    ("dongchedi", 15),
    ("phone", 12),
    ("web", 8),
    ("referral", 8),
    ("event", 4),
    ("service_lane", 3),
)
LOST_REASONS = (
    "价格超出预算 / over budget",
    "购买了竞品 / bought a competitor's car",
    "暂缓购车 / postponed the purchase",
    "多次联系未果 / could not be reached",
    "选择了二手车 / chose a used car",
)
CANCEL_REASONS = (
    "客户资金问题 / financing fell through",
    "等待新款上市 / waiting for the facelift",
)
# Final states for leads older than 45 days, and for recent ones: (state, weight).
OLD_OUTCOMES = (
    ("delivered", 26),
    ("lost", 44),
    ("cancelled", 5),
    ("opportunity", 10),
    ("quote", 10),
    ("lead", 5),
)
RECENT_OUTCOMES = (
    ("lead", 18),
    ("opportunity", 18),
    ("quote", 18),
    ("order", 10),
    ("allocated", 8),
    ("pdi", 6),
    ("delivered", 14),
    ("lost", 8),
)
PATH = ("lead", "opportunity", "quote", "order", "allocated", "pdi", "delivered")
