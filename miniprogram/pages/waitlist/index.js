const api = require('../../api/index.js');
const page = require('../../utils/page.js');

const STATUS = { waiting: '候补中', promoted: '已约上', left: '已退出', closed: '已结束' };
const PERIODS = { morning: '上午', afternoon: '下午', evening: '晚上' };

Component({
  data: { entries: [], loading: true, error: '', needLogin: false, empty: false },
  methods: {
    onLoad: function () {
      return this.reload();
    },
    reload: function () {
      return page.load(this, function () {
        return api.call('waitlistList').then(function (data) {
          const entries = data.results.map(function (w) {
            return Object.assign({}, w, { statusText: STATUS[w.status] || w.status, periodText: PERIODS[w.period] || w.period });
          });
          return { entries: entries, empty: entries.length === 0 };
        });
      });
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
