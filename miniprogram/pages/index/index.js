const api = require('../../api/index.js');
const page = require('../../utils/page.js');

Component({
  data: { tab: 'hospital', keyword: '', hospitals: [], doctors: [], loading: true, error: '', needLogin: false, empty: false },
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
    onSearch: function () {
      const self = this;
      const q = self.data.keyword.trim();
      if (self.data.tab === 'hospital') {
        return page.load(self, function () {
          return api.call('hospitalList', { query: { q: q } }).then(function (data) {
            return { hospitals: data.results, empty: data.results.length === 0 };
          });
        });
      }
      return page.load(self, function () {
        return api.call('doctorSearch', { query: { q: q } }).then(function (data) {
          return { doctors: data.results, empty: data.results.length === 0 };
        });
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
