"""Chinese news pages for full-text tests and benchmarks: the usual furniture of a portal
(navigation, breadcrumbs, share bar, sidebar of hot links, comments, footer with the ICP
number) around an article of several paragraphs with an image."""

from __future__ import annotations

PARAGRAPHS = (
    "6月16日，俄罗斯总统普京与美国总统拜登如期于瑞士日内瓦举行会晤。尽管会晤比预计提早结束，"
    "但双方均认为会谈“气氛友好、具有建设性，有利于相互理解”。",
    "此外，两国元首就战略稳定问题发表联合声明。在世纪疫情、百年变局和俄美关系“差无可差”的背景下，"
    "普京疫后首次出行海外，拜登执政后首次与普京“交锋”，全球瞩目的“拜普会”须细品味慢回味。",
    "“不抱期望”“没有幻想”“不会突破”……是峰会前双方高层、学界和媒体释放出的明显信号。尽管两国"
    "高官前期互动密切，对峰会筹备充分，但都不约而同地竭力压低预期，甚至有意喊出“狠话”。",
    "从某种程度来说，低预期绝不仅仅是说给对方听，也旨在安抚两国国内反对俄美改善的政治力量；"
    "不仅仅是为峰会可能产生的不可预测性做足铺垫、为自己留有余地。",
    "总体看，首脑会晤虽迈出了俄美关系走出危机的第一步，但并不能掩盖和消除双方在民主、人权、"
    "乌克兰问题甚至是战略稳定具体议题方面存在的严重分歧。",
)


def news_page(
    title: str,
    paragraphs: tuple[str, ...] = PARAGRAPHS,
    *,
    charset: str = "utf-8",
    image: str | None = "/img/2021/0617/a.jpg",
    hostile: bool = False,
) -> bytes:
    body = []
    for i, text in enumerate(paragraphs):
        body.append(f"<p>{text}</p>")
        if i == 0 and image:
            body.append(f'<p class="pic"><img src="{image}" alt="会晤现场"></p>')
    if hostile:
        body.append('<p onclick="alert(1)">更多<script>alert(2)</script>内容。</p>')
    page = f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="{charset}">
<title>{title}_新闻中心_某某网</title><script>var _hmt = [];</script>
<link rel="stylesheet" href="/css/main.css"></head><body>
<div id="top"><a href="/">首页</a> | <a href="/news/">新闻</a> | <a href="/finance/">财经</a> |
<a href="/sports/">体育</a> | <a href="/ent/">娱乐</a> | <a href="/login">登录</a></div>
<div class="crumbs"><a href="/">首页</a> &gt; <a href="/news/">国际新闻</a> &gt; 正文</div>
<div class="main"><div class="article-wrap"><h1 class="title">{title}</h1>
<div class="meta"><span>2021-06-17 10:04:43</span> <span>来源：中国网</span></div>
<div class="share">分享到：<a href="#">微博</a> <a href="#">微信</a></div>
<div class="article-content">{"".join(body)}</div>
<div class="editor">（责任编辑：郭素萍）</div></div>
<div class="sidebar"><h3>24 小时热文</h3><ul>
<li><a href="/n/1.html">某地发布暴雨橙色预警</a></li>
<li><a href="/n/2.html">A 股三大指数集体收涨</a></li>
<li><a href="/n/3.html">夏季养生小常识</a></li>
<li><a href="/n/4.html">高考志愿填报指南</a></li></ul></div>
<div class="comments"><h3>网友评论</h3><p>网友甲：说得好。</p><p>网友乙：支持！</p></div></div>
<div id="footer">关于我们 | 联系我们 | 广告服务<br>版权所有 &copy; 某某网 京ICP证000000号</div>
</body></html>"""
    return page.encode(charset)


def login_wall() -> bytes:
    return """<!DOCTYPE html><html><head><meta charset="utf-8"><title>登录</title></head>
<body><div class="login"><h2>请登录后查看</h2><form><input name="u"><input name="p">
<button>登录</button></form></div></body></html>""".encode()
