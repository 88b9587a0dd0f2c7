/* Writes public/hotpress-check.json: what Hexo read from every post, for the Python test. */
'use strict';

hexo.extend.generator.register('hotpress-check', function (locals) {
  const posts = locals.posts.map(function (post) {
    return {
      source: post.source,
      title: post.title,
      author: post.author,
      headimg: post.headimg,
      thumbnail: post.thumbnail,
      comments: post.comments,
      date: post.date ? post.date.toISOString() : null,
      categories: post.categories.map(function (cat) { return cat.name; }),
      content: post.content
    };
  });
  return { path: 'hotpress-check.json', data: JSON.stringify(posts) };
});
