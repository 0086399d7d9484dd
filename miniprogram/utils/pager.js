// 分页列表：第一页走 page.load（加载中 / 错误 / 空状态），滚到底部时 more() 读下一页并接在后面，
// 服务器的 next 为 null 时停止。页面 data 里用 pageNo、hasMore、loadingMore 三项，配合列表底部的
// “加载中… / 没有更多了”。
//
//   reload: function () {
//     return pager.first(this, {
//       key: 'records',                                   // 列表在 data 里的名字
//       fetch: function (pageNo) { return api.call('recordList', { query: { page: pageNo } }); },
//       map: function (r) { return r; },                  // 可选：每一项的显示字段
//       extra: function () { return api.call('member'); }  // 可选：第一页时一起读、并入 data 的其他内容
//     });
//   },
//   onReachBottom: function () { return pager.more(this); }
const pageUtil = require('./page.js');

function fetchPage(opts, pageNo) {
  return opts.fetch(pageNo).then(function (data) {
    const results = (data && data.results) || [];
    return { items: opts.map ? results.map(opts.map) : results, hasMore: !!(data && data.next) };
  });
}

// 重新读第一页；返回 page.load 的结果（true / false）
function first(page, opts) {
  page.pagerOptions = opts;
  page.pagerSeq = (page.pagerSeq || 0) + 1; // 之前未完成的“下一页”作废
  return pageUtil.load(page, function () {
    return Promise.all([fetchPage(opts, 1), opts.extra ? opts.extra() : null]).then(function (answers) {
      const list = answers[0];
      const change = Object.assign({}, answers[1] || {}, {
        pageNo: 1, hasMore: list.hasMore, loadingMore: false, empty: list.items.length === 0
      });
      change[opts.key] = list.items;
      return change;
    });
  });
}

// 读下一页并接在列表后面；没有更多、正在读或页面在加载时什么也不做（返回 false）
function more(page) {
  const opts = page.pagerOptions;
  const data = page.data;
  if (!opts || !data.hasMore || data.loadingMore || data.loading) {
    return Promise.resolve(false);
  }
  const seq = page.pagerSeq;
  const next = data.pageNo + 1;
  page.setData({ loadingMore: true });
  return fetchPage(opts, next).then(function (list) {
    if (seq !== page.pagerSeq) {
      return false; // 期间列表已重新加载
    }
    const change = { pageNo: next, hasMore: list.hasMore, loadingMore: false };
    change[opts.key] = page.data[opts.key].concat(list.items);
    page.setData(change);
    return true;
  }, function (err) {
    if (seq === page.pagerSeq) {
      page.setData({ loadingMore: false });
      pageUtil.toastError(err);
    }
    return false;
  });
}

module.exports = { first: first, more: more };
