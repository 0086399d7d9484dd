const h = require('./helpers/fake-wx.js');

let fake;
let pager;

beforeEach(() => {
  fake = h.install();
  pager = require('../utils/pager.js');
});

// 一个最小的“页面”：data 与 setData，足够 page.load 和 pager 使用
function fakePage() {
  return {
    data: { items: [], loading: true },
    setData: function (change) {
      this.data = Object.assign({}, this.data, change);
    }
  };
}

function answer(pageNo, last, items) {
  return { count: 0, next: pageNo < last ? '?page=' + (pageNo + 1) : null, previous: null, results: items || ['p' + pageNo] };
}

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise(function (res, rej) {
    resolve = res;
    reject = rej;
  });
  return { promise: promise, resolve: resolve, reject: reject };
}

test('first page, then the following ones appended, stopping when next is null', async () => {
  const asked = [];
  const p = fakePage();
  const opts = {
    key: 'items',
    fetch: function (n) {
      asked.push(n);
      return Promise.resolve(answer(n, 3));
    },
    map: function (x) {
      return x.toUpperCase();
    }
  };
  expect(await pager.first(p, opts)).toBe(true);
  expect(p.data).toMatchObject({ items: ['P1'], pageNo: 1, hasMore: true, loading: false, empty: false });
  expect(await pager.more(p)).toBe(true);
  expect(await pager.more(p)).toBe(true);
  expect(p.data).toMatchObject({ items: ['P1', 'P2', 'P3'], pageNo: 3, hasMore: false, loadingMore: false });
  expect(await pager.more(p)).toBe(false);
  expect(asked).toEqual([1, 2, 3]);
});

test('an empty first page is the empty state; extra data comes with the first page', async () => {
  const p = fakePage();
  await pager.first(p, {
    key: 'items',
    fetch: function () { return Promise.resolve(answer(1, 1, [])); },
    extra: function () { return Promise.resolve({ unread: 4 }); }
  });
  expect(p.data).toMatchObject({ items: [], empty: true, hasMore: false, unread: 4 });
  expect(await pager.more(p)).toBe(false);
});

test('one request at a time; a failed next page is a toast and can be tried again', async () => {
  const p = fakePage();
  let next = deferred();
  await pager.first(p, {
    key: 'items',
    fetch: function (n) { return n === 1 ? Promise.resolve(answer(1, 2)) : next.promise; }
  });
  const first = pager.more(p);
  expect(p.data.loadingMore).toBe(true);
  expect(await pager.more(p)).toBe(false); // 正在读
  next.reject(new (require('../api/index.js').ApiError)(0, 'network_error'));
  expect(await first).toBe(false);
  expect(p.data).toMatchObject({ loadingMore: false, hasMore: true, pageNo: 1, items: ['p1'] });
  expect(fake.calls.showToast[0].title).toBe('网络连接失败，请检查网络后重试');

  next = deferred();
  const again = pager.more(p);
  next.resolve(answer(2, 2));
  expect(await again).toBe(true);
  expect(p.data.items).toEqual(['p1', 'p2']);
});

test('a next page that arrives after a reload is dropped', async () => {
  const p = fakePage();
  const late = deferred();
  let version = 'old';
  const opts = {
    key: 'items',
    fetch: function (n) {
      if (n === 2) {
        return late.promise;
      }
      return Promise.resolve(answer(1, 2, [version + '1']));
    }
  };
  await pager.first(p, opts);
  const pending = pager.more(p);
  version = 'new';
  await pager.first(p, opts);
  late.resolve(answer(2, 2, ['old2']));
  expect(await pending).toBe(false);
  expect(p.data.items).toEqual(['new1']);
  expect(p.data).toMatchObject({ pageNo: 1, hasMore: true, loadingMore: false });
});

test('nothing to load before the first page or while it loads', async () => {
  const p = fakePage();
  expect(await pager.more(p)).toBe(false);
  const slow = deferred();
  const loading = pager.first(p, { key: 'items', fetch: function () { return slow.promise; } });
  p.data.hasMore = true; // 即使上一次还有下一页，加载中也不读
  expect(await pager.more(p)).toBe(false);
  slow.resolve(answer(1, 1));
  expect(await loading).toBe(true);
});
