const api = require('../../api/index.js');
const pager = require('../../utils/pager.js');
const format = require('../../utils/format.js');

Component({
  data: { doctors: [], pageNo: 1, hasMore: false, loadingMore: false, loading: true, error: '', needLogin: false, empty: false },
  methods: {
    onLoad: function (options) {
      this.departmentId = options.id;
      if (options.name) {
        wx.setNavigationBarTitle({ title: decodeURIComponent(options.name) });
      }
      return this.reload();
    },
    reload: function () {
      const id = this.departmentId;
      return pager.first(this, {
        key: 'doctors',
        fetch: function (pageNo) {
          return api.call('departmentDoctors', { params: { department_id: id }, query: { page: pageNo } });
        },
        map: function (d) {
          return Object.assign({}, d, { feeText: format.yuan(d.fee) });
        }
      });
    },
    onReachBottom: function () {
      return pager.more(this);
    },
    openDoctor: function (e) {
      wx.navigateTo({ url: '/pages/doctor/doctor?id=' + e.currentTarget.dataset.id });
    }
  }
});
