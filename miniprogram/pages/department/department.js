const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const format = require('../../utils/format.js');

Component({
  data: { doctors: [], loading: true, error: '', needLogin: false, empty: false },
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
      return page.load(this, function () {
        return api.call('departmentDoctors', { params: { department_id: id }, query: { page_size: 100 } }).then(function (data) {
          const doctors = data.results.map(function (d) {
            return Object.assign({}, d, { feeText: format.yuan(d.fee) });
          });
          return { doctors: doctors, empty: doctors.length === 0 };
        });
      });
    },
    openDoctor: function (e) {
      wx.navigateTo({ url: '/pages/doctor/doctor?id=' + e.currentTarget.dataset.id });
    }
  }
});
