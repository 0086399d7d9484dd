const api = require('../../api/index.js');
const page = require('../../utils/page.js');

Component({
  data: { hospital: {}, departments: [], loading: true, error: '', needLogin: false },
  methods: {
    onLoad: function (options) {
      this.hospitalId = options.id;
      return this.reload();
    },
    reload: function () {
      const id = this.hospitalId;
      return page.load(this, function () {
        return api.call('hospitalDetail', { params: { hospital_id: id } }).then(function (data) {
          wx.setNavigationBarTitle({ title: data.name });
          return { hospital: data, departments: data.departments };
        });
      });
    },
    callHospital: function () {
      wx.makePhoneCall({ phoneNumber: this.data.hospital.phone });
    },
    openDepartment: function (e) {
      const d = e.currentTarget.dataset;
      wx.navigateTo({ url: '/pages/department/department?id=' + d.id + '&name=' + encodeURIComponent(d.name) });
    }
  }
});
