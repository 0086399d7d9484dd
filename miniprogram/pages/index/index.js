const api = require('../../api/index.js');
const pager = require('../../utils/pager.js');

Component({
  data: {
    tab: 'hospital', keyword: '', hospitals: [], doctors: [], pageNo: 1, hasMore: false, loadingMore: false,
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
    onSearch: function () {
      const hospitals = this.data.tab === 'hospital';
      const q = this.data.keyword.trim();
      return pager.first(this, {
        key: hospitals ? 'hospitals' : 'doctors',
        fetch: function (pageNo) {
          return api.call(hospitals ? 'hospitalList' : 'doctorSearch', { query: { q: q, page: pageNo } });
        }
      });
    },
    // 滚到底部加载下一页
    onReachBottom: function () {
      return pager.more(this);
    },
    openHospital: function (e) {
      wx.navigateTo({ url: '/pages/hospital/hospital?id=' + e.currentTarget.dataset.id });
    },
    openDoctor: function (e) {
      wx.navigateTo({ url: '/pages/doctor/doctor?id=' + e.currentTarget.dataset.id });
    }
  }
});
