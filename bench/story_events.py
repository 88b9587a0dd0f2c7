# ruff: noqa: E501  (hand-written titles, one event per line)
"""The events behind tests/data/story_pairs.tsv: one hot story each, as three lists word it
(a Zhihu question, a Weibo hashtag, a Baidu/news headline), grouped by topic.

``python -m bench.story_events`` writes the pairs file: every two titles of one event are a
positive pair (same story); negative pairs are titles of two events of the same topic (the
hard case: shared words, different stories), three per event, one with another topic, and
HARD_NEGATIVES: stories that share a place, a person or a product name. Written once and committed; the
labels are the grouping below, made by hand.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

# topic -> events -> three wordings of the same story
EVENTS: dict[str, list[tuple[str, str, str]]] = {
    "外交": [
        (
            "6 月 16 日拜登与普京在日内瓦会晤，两人谈了什么？",
            "#拜登普京会晤#",
            "拜登普京日内瓦峰会结束 双方发表联合声明",
        ),
        (
            "如何看待中美高层在阿拉斯加的对话？",
            "#中美高层战略对话#",
            "中美高层战略对话在安克雷奇举行",
        ),
        ("G7 峰会在英国康沃尔召开，有哪些看点？", "#G7峰会#", "七国集团峰会在英国康沃尔开幕"),
        (
            "如何评价日本宣布福岛核污水排海？",
            "#日本决定核污水排海#",
            "日本政府正式决定福岛核污染水排入大海",
        ),
        (
            "上合组织峰会在撒马尔罕举行，释放了哪些信号？",
            "#上合组织撒马尔罕峰会#",
            "上海合作组织成员国元首理事会会议在撒马尔罕举行",
        ),
    ],
    "航天": [
        (
            "神舟十二号航天员进驻天和核心舱意味着什么？",
            "#神舟十二号航天员进驻天和核心舱#",
            "神舟十二号3名航天员顺利进驻天和核心舱",
        ),
        (
            "祝融号火星车传回首批影像，有哪些看点？",
            "#祝融号传回火星影像#",
            "天问一号着陆火星首批科学影像图公布",
        ),
        ("嫦娥五号带回的月壤有什么研究价值？", "#嫦娥五号月壤#", "嫦娥五号返回器携带月球样品着陆"),
        (
            "长征五号B遥二火箭残骸坠落引发关注，会有危险吗？",
            "#长五B火箭残骸#",
            "长征五号B遥二运载火箭末级残骸再入大气层",
        ),
        ("SpaceX 星舰第二次试飞结果如何？", "#星舰第二次试飞#", "SpaceX星舰再次试飞 升空后失联"),
    ],
    "体育": [
        (
            "如何评价全红婵东京奥运会跳水夺冠？",
            "#全红婵夺冠#",
            "14岁全红婵获东京奥运会女子10米台冠军",
        ),
        (
            "苏炳添跑出 9 秒 83 进入百米决赛，有多难得？",
            "#苏炳添9秒83#",
            "苏炳添半决赛跑出9秒83 刷新亚洲纪录",
        ),
        (
            "梅西率阿根廷夺得卡塔尔世界杯冠军是什么体验？",
            "#阿根廷夺冠#",
            "世界杯决赛阿根廷点球大战击败法国夺冠",
        ),
        (
            "中国女排东京奥运会小组赛出局，问题出在哪？",
            "#中国女排无缘八强#",
            "中国女排东京奥运会小组出局",
        ),
        (
            "谷爱凌北京冬奥会大跳台夺金，如何评价她的表现？",
            "#谷爱凌夺金#",
            "谷爱凌获北京冬奥会自由式滑雪大跳台金牌",
        ),
        (
            "C 罗离开曼联加盟沙特利雅得胜利，怎么看？",
            "#C罗加盟利雅得胜利#",
            "C罗与沙特利雅得胜利签约至2025年",
        ),
        (
            "郑钦文获得巴黎奥运会网球女单金牌有多不容易？",
            "#郑钦文夺冠#",
            "郑钦文夺得巴黎奥运会网球女单冠军",
        ),
    ],
    "科技": [
        (
            "华为发布 Mate 60 Pro，麒麟芯片回归意味着什么？",
            "#华为Mate60Pro#",
            "华为Mate 60 Pro开售 搭载麒麟9000S",
        ),
        (
            "苹果发布会推出 iPhone 15，有哪些升级？",
            "#iPhone15发布#",
            "苹果秋季发布会发布iPhone 15系列",
        ),
        ("ChatGPT 为什么突然火了？", "#ChatGPT火了#", "OpenAI聊天机器人ChatGPT用户破亿"),
        (
            "小米汽车 SU7 发布，定价 21.59 万元如何评价？",
            "#小米SU7定价#",
            "小米SU7正式上市 售价21.59万元起",
        ),
        (
            "微软宣布收购动视暴雪，会带来什么影响？",
            "#微软收购动视暴雪#",
            "微软687亿美元收购动视暴雪",
        ),
        ("马斯克收购推特后裁员一半，推特会怎样？", "#推特裁员#", "马斯克接管推特后大规模裁员"),
        (
            "DeepSeek 发布 R1 模型为何引发全球关注？",
            "#DeepSeek#",
            "深度求索发布推理模型DeepSeek-R1 引发美股科技股下跌",
        ),
    ],
    "社会": [
        (
            "河南郑州特大暴雨，地铁 5 号线发生了什么？",
            "#郑州地铁5号线#",
            "郑州遭遇特大暴雨 地铁五号线乘客被困",
        ),
        ("如何看待唐山烧烤店打人事件？", "#唐山打人事件#", "唐山烧烤店打人案一审宣判"),
        (
            "丰县生育八孩女子事件调查结果公布，怎么看？",
            "#丰县八孩女子#",
            "江苏发布丰县生育八孩女子事件调查处理情况",
        ),
        (
            "东航 MU5735 航班坠毁，事故原因可能是什么？",
            "#东航MU5735#",
            "东航一架波音737客机在广西梧州坠毁",
        ),
        (
            "如何看待高考取消体育特长生加分？",
            "#高考加分项目取消#",
            "教育部：全面取消体育特长生高考加分",
        ),
        ("淄博烧烤为什么突然爆火？", "#淄博烧烤#", "淄博烧烤走红 五一游客涌入"),
        (
            "哈尔滨冰雪大世界为何成了今年冬天最火的景点？",
            "#哈尔滨冰雪大世界#",
            "哈尔滨冰雪旅游火爆 南方游客扎堆",
        ),
    ],
    "财经": [
        ("恒大债务危机会如何收场？", "#恒大债务危机#", "中国恒大发布公告 境外债务重组"),
        (
            "央行宣布全面降准 0.5 个百分点释放了什么信号？",
            "#央行降准#",
            "央行决定下调金融机构存款准备金率0.5个百分点",
        ),
        (
            "A 股今天大涨，上证指数重回 3000 点，还能追吗？",
            "#A股大涨#",
            "沪指大涨重回3000点 两市成交额破万亿",
        ),
        (
            "美联储加息 75 个基点，对中国有什么影响？",
            "#美联储加息75基点#",
            "美联储宣布加息75个基点 幅度为1994年以来最大",
        ),
        ("茅台股价大跌，白酒行业怎么了？", "#茅台股价大跌#", "贵州茅台股价跌破1500元"),
        ("硅谷银行倒闭会引发金融危机吗？", "#硅谷银行倒闭#", "美国硅谷银行宣告破产 被监管机构接管"),
    ],
    "娱乐": [
        ("如何评价电影《长津湖》？", "#长津湖票房#", "电影长津湖票房突破50亿"),
        ("《流浪地球 2》好看吗？", "#流浪地球2#", "流浪地球2春节档上映 口碑领跑"),
        ("周杰伦新专辑《最伟大的作品》怎么样？", "#周杰伦新专辑#", "周杰伦发布新专辑最伟大的作品"),
        (
            "《黑神话：悟空》上线首日销量破千万说明了什么？",
            "#黑神话悟空#",
            "国产游戏黑神话悟空发售 同时在线人数破两百万",
        ),
        (
            "如何看待《哪吒之魔童闹海》票房破百亿？",
            "#哪吒2票房破百亿#",
            "哪吒之魔童闹海票房突破100亿元",
        ),
    ],
}

# Different stories that share a place, a person or a product name: the hard negatives.
HARD_NEGATIVES: list[tuple[str, str]] = [
    ("6 月 16 日拜登与普京在日内瓦会晤，两人谈了什么？", "日内瓦湖畔的天鹅"),
    ("#拜登普京会晤#", "拜登宣布退出总统竞选"),
    ("普京发表年度国情咨文", "#拜登普京会晤#"),
    ("郑州遭遇特大暴雨 地铁五号线乘客被困", "郑州地铁6号线首开段开通运营"),
    ("#郑州地铁5号线#", "郑州发布消费券 地铁乘车打八折"),
    ("唐山烧烤店打人案一审宣判", "#淄博烧烤#"),
    ("#全红婵夺冠#", "全红婵回乡后家门口挤满游客"),
    ("14岁全红婵获东京奥运会女子10米台冠军", "东京奥运会闭幕式在新国立竞技场举行"),
    ("苏炳添半决赛跑出9秒83 刷新亚洲纪录", "苏炳添成为暨南大学教师"),
    ("#阿根廷夺冠#", "阿根廷新总统米莱就职"),
    ("世界杯决赛阿根廷点球大战击败法国夺冠", "法国总统马克龙宣布解散国民议会"),
    ("#中国女排无缘八强#", "中国男足世预赛不敌越南"),
    ("谷爱凌获北京冬奥会自由式滑雪大跳台金牌", "北京冬奥会开幕式上的二十四节气倒计时"),
    ("#C罗加盟利雅得胜利#", "梅西加盟迈阿密国际"),
    ("华为Mate 60 Pro开售 搭载麒麟9000S", "华为发布鸿蒙NEXT 不再兼容安卓应用"),
    ("#华为Mate60Pro#", "#华为鸿蒙NEXT#"),
    ("苹果秋季发布会发布iPhone 15系列", "苹果公司市值突破3万亿美元"),
    ("#iPhone15发布#", "iPhone 15 Pro Max 发热问题引发用户投诉"),
    ("OpenAI聊天机器人ChatGPT用户破亿", "OpenAI董事会罢免CEO奥特曼"),
    ("小米SU7正式上市 售价21.59万元起", "小米发布澎湃OS 取代MIUI"),
    ("#小米SU7定价#", "小米SU7高速碰撞事故引关注"),
    ("马斯克接管推特后大规模裁员", "马斯克旗下SpaceX星舰再次试飞"),
    ("SpaceX星舰再次试飞 升空后失联", "SpaceX载人龙飞船将宇航员送往空间站"),
    ("#神舟十二号航天员进驻天和核心舱#", "神舟十三号航天员出舱活动圆满成功"),
    ("天问一号着陆火星首批科学影像图公布", "天问二号探测器计划2025年发射"),
    ("嫦娥五号返回器携带月球样品着陆", "嫦娥六号完成人类首次月背采样"),
    ("中国恒大发布公告 境外债务重组", "恒大汽车恒驰5开始交付"),
    ("央行决定下调金融机构存款准备金率0.5个百分点", "央行下调LPR 五年期降至4.2%"),
    ("#A股大涨#", "A股三大指数集体收跌 创业板跌超2%"),
    ("美联储宣布加息75个基点 幅度为1994年以来最大", "美联储宣布降息50个基点"),
    ("贵州茅台股价跌破1500元", "茅台推出酱香拿铁 联名瑞幸咖啡"),
    ("美国硅谷银行宣告破产 被监管机构接管", "硅谷科技公司掀起新一轮裁员潮"),
    ("电影长津湖票房突破50亿", "长津湖之水门桥定档春节"),
    ("流浪地球2春节档上映 口碑领跑", "三体电视剧开播 口碑两极"),
    ("周杰伦发布新专辑最伟大的作品", "周杰伦演唱会门票开售秒空"),
    ("国产游戏黑神话悟空发售 同时在线人数破两百万", "黑神话悟空获TGA年度最佳动作游戏"),
    ("哪吒之魔童闹海票房突破100亿元", "哪吒之魔童降世定档暑期"),
    ("日本政府正式决定福岛核污染水排入大海", "日本首相岸田文雄宣布不再参选"),
    ("七国集团峰会在英国康沃尔开幕", "英国首相约翰逊宣布辞职"),
    ("中美高层战略对话在安克雷奇举行", "中美元首在旧金山会晤"),
    ("淄博烧烤走红 五一游客涌入", "五一假期全国国内旅游出游2.95亿人次"),
    ("哈尔滨冰雪旅游火爆 南方游客扎堆", "哈尔滨亚冬会开幕"),
]


def pairs(seed: int = 15) -> list[tuple[int, str, str, str, str]]:
    """(label, topic, event, title a, title b): every pair within an event, and for each
    event three titles paired with another event of its topic."""
    rng = random.Random(seed)
    out: list[tuple[int, str, str, str, str]] = []
    for topic, events in EVENTS.items():
        for n, titles in enumerate(events):
            name = f"{topic}-{n + 1}"
            for i in range(3):
                for j in range(i + 1, 3):
                    out.append((1, topic, name, titles[i], titles[j]))
            for _ in range(3):
                other = rng.choice([e for e in events if e is not titles])
                out.append((0, topic, name, rng.choice(titles), rng.choice(other)))
            # and one story of another topic (lists share words like 中国, 发布, 万)
            elsewhere = [e for t, es in EVENTS.items() if t != topic for e in es]
            out.append((0, topic, name, rng.choice(titles), rng.choice(rng.choice(elsewhere))))
    out.extend((0, "hard", f"hard-{i + 1}", a, b) for i, (a, b) in enumerate(HARD_NEGATIVES))
    return out


def main() -> None:
    target = Path(__file__).resolve().parent.parent / "tests" / "data" / "story_pairs.tsv"
    with target.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(["same", "topic", "event", "a", "b"])
        writer.writerows(pairs())
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
