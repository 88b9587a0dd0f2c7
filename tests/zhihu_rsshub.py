"""Bodies shaped like RSSHub's two Zhihu routes today (see shared/reference/zhihu-routes.md).

``/zhihu/hot``: at most 10 items; title = the question, link = the question's URL, pubDate =
when the question was created, description = ``<p>excerpt</p>`` (or empty); no author, no
guid. ``/zhihu/question/:qid``: one entry per answer; title ``<author>的回答：<excerpt>``,
description ``<author>的回答<br><br><answer HTML>``, author, pubDate, guid = the answer id,
link = the answer's URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from feedserver import FeedServer, RecordedRequest, Reply

SEED_QID = "466478287"
SEED_DATE = "Thu, 17 Jun 2021 02:04:43 GMT"


@dataclass(frozen=True)
class Question:
    qid: str
    title: str
    excerpt: str
    created: str = "Wed, 16 Jun 2021 08:00:00 GMT"


@dataclass(frozen=True)
class Answer:
    aid: str
    author: str
    html: str
    updated: str = "Thu, 17 Jun 2021 03:00:00 GMT"


def _head(title: str, link: str, self_url: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss xmlns:atom="http://www.w3.org/2005/Atom"'
        f' version="2.0"><channel><title><![CDATA[{title}]]></title><link>{link}</link>'
        f'<atom:link href="{self_url}" rel="self" type="application/rss+xml"></atom:link>'
        f"<description>{title} - Powered by RSSHub</description><generator>RSSHub</generator>"
        "<webMaster>contact@rsshub.app (RSSHub)</webMaster><language>zh-CN</language>"
        # RSSHub renders every response afresh: this line changes on each request.
        "<lastBuildDate>Sat, 05 Dec 2026 12:00:00 GMT</lastBuildDate><ttl>5</ttl>"
    )


def hot_list(questions: list[Question], self_url: str = "http://127.0.0.1/zhihu/hot") -> bytes:
    assert len(questions) <= 10, "the route asks Zhihu for 10 items"
    items = "".join(
        f"<item><title><![CDATA[{q.title}]]></title>"
        f"<description><![CDATA[{f'<p>{q.excerpt}</p>' if q.excerpt else ''}]]></description>"
        f"<pubDate>{q.created}</pubDate>"
        f"<link>https://www.zhihu.com/question/{q.qid}</link></item>"
        for q in questions
    )
    head = _head("知乎热榜", "https://www.zhihu.com/hot", self_url)
    return (head + items + "</channel></rss>").encode()


def question_feed(question: Question, answers: list[Answer]) -> bytes:
    link = f"https://www.zhihu.com/question/{question.qid}"
    items = "".join(
        f"<item><title><![CDATA[{a.author}的回答：{_excerpt(a.html)}]]></title>"
        f"<description><![CDATA[{a.author}的回答<br><br>{a.html}]]></description>"
        f'<pubDate>{a.updated}</pubDate><guid isPermaLink="false">{a.aid}</guid>'
        f"<link>{link}/answer/{a.aid}</link><author><![CDATA[{a.author}]]></author></item>"
        for a in answers
    )
    head = _head(f"知乎-{question.title}", link, f"http://127.0.0.1/zhihu/question/{question.qid}")
    return (head + items + "</channel></rss>").encode()


def _excerpt(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)[:40]


def seed_parts(seed_post: bytes) -> tuple[str, str, str]:
    """The seed post's title, answer author and answer HTML."""
    text = seed_post.decode("utf-8")
    title = re.search(r"^title: '(.*)'$", text, re.M)
    body = text.split("<div>   \n", 1)[1].rsplit("  \n</div>", 1)[0]
    author, html = body.split("的回答<br><br>", 1)
    assert title is not None
    return title.group(1), author, html


def seed_question(seed_post: bytes) -> tuple[Question, list[Answer]]:
    title, author, html = seed_parts(seed_post)
    question = Question(SEED_QID, title, "6 月 16 日，美俄两国元首在日内瓦举行会晤。", SEED_DATE)
    answers = [
        Answer("1954931410", author, html),
        Answer("1954931999", "路人甲", "<p>第二个回答。</p>"),
    ]
    return question, answers


def other_questions(n: int) -> list[Question]:
    return [
        Question(f"50000{i:04d}", f"第 {i} 个热门问题是什么？", f"问题 {i} 的摘要。")
        for i in range(n)
    ]


def serve_zhihu(
    server: FeedServer,
    questions: list[Question],
    answers: dict[str, list[Answer]],
) -> None:
    """Route ``/zhihu/hot`` and ``/zhihu/question/<qid>`` for each question with answers;
    each question route answers 304 to a matching ``If-None-Match``."""
    server.route("/zhihu/hot", Reply(body=hot_list(questions, server.url("/zhihu/hot"))))
    for question in questions:
        if question.qid not in answers:
            continue
        body = question_feed(question, answers[question.qid])
        etag = f'"q{question.qid}-{len(body)}"'

        def reply(request: RecordedRequest, body: bytes = body, etag: str = etag) -> Reply:
            if request.header("if-none-match") == etag:
                return Reply(status=304, headers={"ETag": etag})
            return Reply(body=body, headers={"ETag": etag, "Content-Type": "application/xml"})

        server.route(f"/zhihu/question/{question.qid}", reply)
