const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const pager = require('../../utils/pager.js');

const STATUS = { waiting: '候补中', promoted: '已约上', left: '已退出', closed: '已结束' };
const PERIODS = { morning: '上午', afternoon: '下午', evening: '晚上' };

Component({
  data: { entries: [], pageNo: 1, hasMore: false, loadingMore: false, loading: true, error: '', needLogin: false, empty: false },
  methods: {
    onLoad: function () {
      return this.reload();
    },
    reload: function () {
      return pager.first(this, {
        key: 'entries',
        fetch: function (pageNo) {
          return api.call('waitlistList', { query: { page: pageNo } });
        },
        map: function (w) {
          return Object.assign({}, w, { statusText: STATUS[w.status] || w.status, periodText: PERIODS[w.period] || w.period });
        }
      });
    },
    onReachBottom: function () {
      return pager.more(this);
    },
    onLeave: function (e) {
      const self = this;
      const id = e.currentTarget.dataset.id;
      return page.confirm('确定退出候补吗？').then(function (ok) {
        if (!ok) {
          return null;
        }
        return api.call('waitlistLeave', { params: { entry_id: id } }).then(function () {
          wx.showToast({ title: '已退出候补', icon: 'success' });
          return self.reload();
        });
      }).catch(page.toastError);
    },
    onOpen: function (e) {
      wx.navigateTo({ url: '/pages/appointment/detail?id=' + e.currentTarget.dataset.id });
    }
  }
});
