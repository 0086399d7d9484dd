const api = require('../../api/index.js');
const page = require('../../utils/page.js');

Component({
  data: {
    tab: 'hospital', keyword: '', hospitals: [], doctors: [], page: 1, hasMore: false, loadingMore: false,
    loading: true, error: '', needLogin: false, empty: false
  },
  methods: {
    onLoad: function () {
      return this.onSearch();
    },
    onKeyword: function (e) {
      this.setData({ keyword: e.detail.value });
    },
    onTab: function (e) {
      this.setData({ tab: e.currentTarget.dataset.tab });
      return this.onSearch();
    },
    fetch: function (pageNo) {
      const hospitals = this.data.tab === 'hospital';
      const query = { q: this.data.keyword.trim(), page: pageNo };
      return api.call(hospitals ? 'hospitalList' : 'doctorSearch', { query: query }).then(function (data) {
        return { key: hospitals ? 'hospitals' : 'doctors', results: data.results, hasMore: !!data.next };
      });
    },
    onSearch: function () {
      const self = this;
      return page.load(self, function () {
        return self.fetch(1).then(function (answer) {
          const change = { page: 1, hasMore: answer.hasMore, empty: answer.results.length === 0 };
          change[answer.key] = answer.results;
          return change;
        });
      });
    },
    // 滚到底部加载下一页
    onReachBottom: function () {
      const self = this;
      if (!self.data.hasMore || self.data.loadingMore || self.data.loading) {
        return Promise.resolve(false);
      }
      self.setData({ loadingMore: true });
      return self.fetch(self.data.page + 1).then(function (answer) {
        const change = { page: self.data.page + 1, hasMore: answer.hasMore, loadingMore: false };
        change[answer.key] = self.data[answer.key].concat(answer.results);
        self.setData(change);
        return true;
      }, function (err) {
        self.setData({ loadingMore: false });
        page.toastError(err);
        return false;
      });
    },
    openHospital: function (e) {
      wx.navigateTo({ url: '/pages/hospital/hospital?id=' + e.currentTarget.dataset.id });
    },
    openDoctor: function (e) {
      wx.navigateTo({ url: '/pages/doctor/doctor?id=' + e.currentTarget.dataset.id });
    }
  }
});
