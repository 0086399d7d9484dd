const api = require('../../api/index.js');
const pager = require('../../utils/pager.js');
const format = require('../../utils/format.js');

Component({
  data: { records: [], pageNo: 1, hasMore: false, loadingMore: false, loading: true, error: '', needLogin: false, empty: false },
  methods: {
    onLoad: function () {
      return this.reload();
    },
    reload: function () {
      return pager.first(this, {
        key: 'records',
        fetch: function (pageNo) {
          return api.call('recordList', { query: { page: pageNo } });
        },
        map: function (r) {
          return Object.assign({}, r, { visitText: format.datePart(r.visit_at) });
        }
      });
    },
    onReachBottom: function () {
      return pager.more(this);
    },
    onOpen: function (e) {
      wx.navigateTo({ url: '/pages/record/record?id=' + e.currentTarget.dataset.id });
    }
  }
});
